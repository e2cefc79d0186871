from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommerceConfig(AppConfig):
    name = "commerce"
    verbose_name = _("Orders and products")

    def ready(self) -> None:
        from commerce import demo, selectors
        from core import registry
        from core.navigation import NavItem, add_item

        registry.add("timeline_providers", selectors.order_timeline)
        registry.add("timeline_providers", selectors.cost_timeline)
        registry.add("timeline_actions", selectors.timeline_actions)
        registry.add("timeline_facts", selectors.timeline_facts)
        registry.add("demo_generators", demo.generate)

        # Products is commerce too, but has its own entry: Orders is not marked on the catalogue.
        add_item(NavItem("orders", _("Orders"), "commerce:order_list", order=20, current_app="commerce",
                         except_url_names=frozenset({"product_list"})))
        add_item(NavItem("products", _("Products"), "commerce:product_list", order=50,
                         current_url_names=frozenset({"product_list"})))

        from commerce import plans

        plans.register()  # the plan's sources and metrics (work/plan_registry.py)
