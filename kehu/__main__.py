"""The `kehu` console command: Django management with kehu's settings, in the environment's language."""

import os
import sys
from typing import Any

from django.core.management import ManagementUtility


class KehuUtility(ManagementUtility):
    """Django's command-line utility, speaking the language of the environment (LANG, LC_ALL,
    LANGUAGE; core.commands.environment_language) in every command, kehu's and Django's."""

    def fetch_command(self, subcommand: str) -> Any:
        # Called once the settings are loaded and the apps are ready, just before the command runs
        # (or prints its help): the earliest moment translations can be activated.
        from django.conf import settings
        from django.utils import translation

        from core.commands import environment_language

        if settings.configured:
            translation.activate(environment_language())
        return super().fetch_command(subcommand)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    os.environ.setdefault("KEHU_SOURCE", "cli")
    KehuUtility(["kehu", *sys.argv[1:]]).execute()


if __name__ == "__main__":
    main()
