from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteractionsConfig(AppConfig):
    name = "interactions"
    verbose_name = _("Interactions")

    def ready(self) -> None:
        from core import registry
        from core.navigation import NavItem, add_item
        from interactions import demo, selectors, services
        from work.calendar_registry import add_outcome_recorder

        registry.add("timeline_providers", selectors.interaction_timeline)
        registry.add("timeline_actions", selectors.timeline_actions)
        registry.add("demo_generators", demo.generate)
        add_outcome_recorder(services.appointment_outcome_interaction)
        # Follow-up tasks are work.Task linked to their interaction: the task lists link to it.
        registry.add("work_record_urls", ("interactions.interaction", "interactions:interaction_detail"))

        add_item(NavItem("interactions", _("Interactions"), "interactions:interaction_list", order=30,
                         current_app="interactions"))

        from interactions import plans

        plans.register()  # the plan's sources and metrics (work/plan_registry.py)
