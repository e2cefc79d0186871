from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentationConfig(AppConfig):
    name = "segmentation"
    verbose_name = _("Segmentation")

    def ready(self) -> None:
        from core import registry
        from segmentation import jobs, selectors

        # Each customer's classes, with why, on the card's profile tab.
        registry.add("card_panels", selectors.card_panels)
        # The nightly refresh and the refresh after imports.
        jobs.register()
