from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "kehu core"

    def ready(self) -> None:
        # checks registers the deploy checks; navigation its own (every menu entry's flag exists).
        from core import checks, navigation  # noqa: F401

        # The project's home page (kehu/urls.py) heads the menu; the apps add the rest.
        navigation.add_item(navigation.NavItem("home", _("Home"), "home", order=0,
                                               current_url_names=frozenset({"home"})))
