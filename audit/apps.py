from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from accounts.roles import Cap
        from audit import selectors, services
        from core import concurrency, registry
        from core.navigation import NavItem, add_flag, add_item

        # accounts sits below audit, so its services reach the audit writers through the registry.
        registry.register("change_record", services.change_record)
        registry.register("change_records_bulk", services.change_records_bulk)

        add_flag("audit", lambda user: user.can(Cap.AUDIT))
        add_item(NavItem("audit", _("Audit trail"), "audit:change_list", order=90, needs="audit", current_app="audit"))
        # Who made a record stale, for the conflict message of an edit based on an older version.
        registry.register(concurrency.LAST_CHANGE, selectors.object_last_change)
