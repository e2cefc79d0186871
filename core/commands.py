"""Base class for kehu's management commands: whatever a command writes is attributed to the CLI."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from core.actor import Source, acting_as


class KehuCommand(BaseCommand):
    """A management command whose writes carry source "cli" in the audit trail (and no user)."""

    def execute(self, *args: Any, **options: Any) -> str | None:
        with acting_as(None, Source.CLI):
            return super().execute(*args, **options)
