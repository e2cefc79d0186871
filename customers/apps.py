from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from django.core.checks import Tags, register

        from accounts.roles import Cap
        from core import registry
        from core.navigation import NavItem, add_flag, add_item
        from customers.checks import customer_owned_models_scoped
        from customers.masking import register_fields
        from customers.selectors import customer_ids_visible, ownership_transfer_timeline

        register_fields()

        registry.register("customer_ids_visible", customer_ids_visible)
        registry.add("timeline_providers", ownership_transfer_timeline)

        add_flag("add_customer", lambda user: user.can(Cap.ADD))
        add_flag("trash", lambda user: user.can(Cap.RESTORE))
        add_item(NavItem("customers", _("Customers"), "customers:customer_list", order=10, current_app="customers"))
        add_item(NavItem("trash", _("Deleted customers"), "customers:customer_trash", order=100, needs="trash"))
        # Every model that belongs to a customer has the restricted manager (or a written exemption).
        register(customer_owned_models_scoped, Tags.models)
