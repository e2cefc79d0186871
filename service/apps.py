from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The app's parts; each has its own models, services, views and `registrations/<part>.py`.
PARTS = ("complaints", "sla", "requests", "knowledge")


class ServiceConfig(AppConfig):
    name = "service"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        # Each part registers its navigation entries, events and providers in its own module's
        # `register()`, so that the parts stay independent of each other.
        from core.parts import part_modules

        for module in part_modules("service", "registrations.", PARTS):
            module.register()
