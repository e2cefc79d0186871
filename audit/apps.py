from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from audit import services
        from core import registry

        # accounts sits below audit, so its services reach the audit writers through the registry.
        registry.register("change_record", services.change_record)
        registry.register("change_records_bulk", services.change_records_bulk)
