"""The `kehu` console command: Django management with kehu's settings."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    os.environ.setdefault("KEHU_SOURCE", "cli")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kehu", *sys.argv[1:]])


if __name__ == "__main__":
    main()
