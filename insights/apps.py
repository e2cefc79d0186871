from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = _("Predictive value")

    def ready(self) -> None:
        from core import registry
        from insights.panels import score_card_panels

        registry.add("card_panels", score_card_panels)
