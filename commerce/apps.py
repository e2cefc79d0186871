from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommerceConfig(AppConfig):
    name = "commerce"
    verbose_name = _("Orders and products")

    def ready(self) -> None:
        from commerce import demo, selectors
        from core import registry

        registry.add("timeline_providers", selectors.order_timeline)
        registry.add("timeline_providers", selectors.cost_timeline)
        registry.add("timeline_actions", selectors.timeline_actions)
        registry.add("timeline_facts", selectors.timeline_facts)
        registry.add("demo_generators", demo.generate)
