from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from core import registry
        from customers.masking import register_fields
        from customers.selectors import customer_ids_visible, ownership_transfer_timeline

        register_fields()

        registry.register("customer_ids_visible", customer_ids_visible)
        registry.add("timeline_providers", ownership_transfer_timeline)
