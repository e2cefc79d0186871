from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentationConfig(AppConfig):
    name = "segmentation"
    verbose_name = _("Segmentation")

    def ready(self) -> None:
        from core import registry
        from core.navigation import NavItem, add_item
        from segmentation import jobs, selectors

        # Each customer's classes, with why, on the card's profile tab.
        registry.add("card_panels", selectors.card_panels)
        # Each customer's ABC tier, for the apps below that need it (the wealth review cadence).
        registry.register("abc_tiers", selectors.abc_tiers)
        # The nightly refresh and the refresh after imports.
        jobs.register()

        add_item(NavItem("segments", _("Segments"), "segmentation:overview", order=40, current_app="segmentation"))

        from segmentation import plans

        plans.register()  # the plan's sources and metrics (work/plan_registry.py)
