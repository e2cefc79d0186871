from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkConfig(AppConfig):
    name = "work"
    verbose_name = _("Work")

    def ready(self) -> None:
        # Each part of the app registers its navigation entries, events and providers in its own
        # module's `register()`, so that the parts stay independent of each other.
        from importlib import import_module

        for part in ("tasks", "calendar", "notifications", "plans"):
            try:
                module = import_module(f"work.registrations.{part}")
            except ModuleNotFoundError as exc:
                if exc.name != f"work.registrations.{part}":
                    raise
                continue
            module.register()
