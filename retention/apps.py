from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The app's parts; each has its own models, services, views and `registrations/<part>.py`.
PARTS = ("churn", "winback")


class RetentionConfig(AppConfig):
    name = "retention"
    verbose_name = _("Churn and win-back")

    def ready(self) -> None:
        # Each part registers its navigation entries, events and providers in its own module's
        # `register()`, so that the parts stay independent of each other.
        from core.parts import part_modules

        for module in part_modules("retention", "registrations.", PARTS):
            module.register()
