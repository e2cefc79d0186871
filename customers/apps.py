from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from django.core.checks import Tags, register

        from core import registry
        from customers.checks import customer_owned_models_scoped
        from customers.selectors import customer_ids_visible, ownership_transfer_timeline

        registry.register("customer_ids_visible", customer_ids_visible)
        registry.add("timeline_providers", ownership_transfer_timeline)
        # Every model that belongs to a customer has the restricted manager (or a written exemption).
        register(customer_owned_models_scoped, Tags.models)
