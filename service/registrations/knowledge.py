"""The knowledge part's registrations: the menu entry and the demo's articles."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from core import registry
    from core.navigation import NavItem, add_item
    from service import demo_knowledge

    add_item(NavItem("knowledge", _("Knowledge base"), "service:article_list", order=63,
                     current_url_names=frozenset({"article_list", "article_detail", "article_add", "article_edit",
                                                  "article_history", "article_publish"}), parent="service_desk"))
    registry.add("demo_generators", demo_knowledge.generate)
