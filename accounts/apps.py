from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from accounts.roles import Cap
        from core.navigation import NavItem, add_flag, add_item

        add_flag("users", lambda user: user.can(Cap.MANAGE_USERS))
        # The own profile lives under the user's name in the top bar, not under Users.
        add_item(NavItem("users", _("Users"), "accounts:user_list", order=110, needs="users",
                         current_app="accounts", except_url_names=frozenset({"profile"})))
