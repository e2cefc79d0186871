from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Data governance")

    def ready(self) -> None:
        from accounts.roles import Cap
        from core.navigation import NavItem, add_flag, add_item
        from customers.owned import register_customer_owned
        from governance.models import CustomerMerge, MatchKey, NotDuplicate

        # Bookkeeping about customers, not the customers' records: a merge leaves them where they are.
        register_customer_owned(MatchKey, move=False)
        register_customer_owned(NotDuplicate, "first", move=False)
        register_customer_owned(NotDuplicate, "second", move=False)
        register_customer_owned(CustomerMerge, "survivor", move=False)
        register_customer_owned(CustomerMerge, "merged", move=False)

        # Merging duplicates removes one of them.
        add_flag("merge", lambda user: user.can(Cap.DELETE))
        add_item(NavItem("duplicates", _("Duplicates"), "governance:duplicate_list", order=80, needs="merge",
                         current_app="governance"))
