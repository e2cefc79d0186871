from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = _("Predictive value")

    def ready(self) -> None:
        from core import registry
        from core.models import concrete_field
        from core.navigation import NavItem, add_item
        from core.periodic import PeriodicJob
        from insights.models import CustomerScore
        from insights.panels import score_card_panels
        from segmentation import potential

        registry.add("card_panels", score_card_panels)
        # Nightly, after the segments (02:00): every customer's scores as of the new day.
        registry.add("periodic_jobs", PeriodicJob(name="scores_refresh",
                                                  task="insights.tasks.scores_refresh_nightly_task", hour=3))

        add_item(NavItem("call_list", _("Call list"), "insights:call_list", order=60, current_app="insights"))

        # The value matrix's potential (segmentation/potential.py): every customer's predicted lifetime
        # value once a scoring has stored any, before segmentation's own trend of margin.
        potential.register(potential.PotentialProvider(
            key="clv", label=_("the predicted lifetime value (CLV) of the latest scoring"), priority=100,
            available=lambda using: CustomerScore.objects.using(using).exists(),
            table=CustomerScore._meta.db_table, customer_column=str(concrete_field(CustomerScore, "customer").column),
            value_column=str(concrete_field(CustomerScore, "clv").column),
        ))

        from insights import plans

        plans.register()  # the plan's sources and metrics (work/plan_registry.py)
