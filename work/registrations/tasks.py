"""The tasks part's registrations: the menu entry, the card's panel and the demo's tasks."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from core import registry
    from core.navigation import NavItem, add_item
    from work import demo_tasks, plan_registry, selectors_tasks

    registry.add("card_panels", selectors_tasks.card_panels)
    registry.add("demo_generators", demo_tasks.generate)
    plan_registry.add_log_source("task", _("Tasks done"), selectors_tasks.task_log_entries)
    add_item(NavItem("tasks", _("Tasks"), "work:task_list", order=35,
                     current_url_names=frozenset({"task_list", "task_add", "task_edit", "task_delete"})))
