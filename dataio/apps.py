from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataioConfig(AppConfig):
    name = "dataio"
    verbose_name = _("Import and export")

    def ready(self) -> None:
        from accounts.roles import Cap
        from core.navigation import NavItem, add_flag, add_item

        # Importing adds customers; the list pages' "Export CSV" buttons ask nav_can.export.
        add_flag("import", lambda user: user.can(Cap.ADD))
        add_flag("export", lambda user: user.can(Cap.EXPORT))
        add_item(NavItem("import", _("Import"), "dataio:job_list", order=70, needs="import", current_app="dataio"))
