"""Base class for kehu's management commands: whatever a command writes is attributed to the CLI. And
the language the `kehu` command speaks: the environment's (kehu/__main__.py activates it)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import get_supported_language_variant, to_language

from core.actor import Source, acting_as

# Locales that name no language: programs speak their default.
_NO_LANGUAGE = frozenset({"", "C", "POSIX"})


class KehuCommand(BaseCommand):
    """A management command whose writes carry source "cli" in the audit trail (and no user)."""

    def execute(self, *args: Any, **options: Any) -> str | None:
        with acting_as(None, Source.CLI):
            return super().execute(*args, **options)


def _language_part(locale_name: str) -> str:
    """"zh_CN" of "zh_CN.UTF-8@modifier"."""
    return locale_name.split(".", 1)[0].split("@", 1)[0].strip()


def environment_language(environ: Mapping[str, str] | None = None) -> str:
    """The language kehu's commands speak, read from the environment as gettext reads it: the locale
    is the first set of LC_ALL, LC_MESSAGES and LANG; LANGUAGE may list preferred languages ahead of
    it (colon-separated), except when the locale is C or POSIX. The first candidate the site offers
    wins (`en_US.UTF-8` → "en", `zh_CN.UTF-8` → "zh-hans"); with none — nothing set, C/POSIX, or only
    languages kehu does not speak — the site language (settings.LANGUAGE_CODE)."""
    env = os.environ if environ is None else environ
    locale_name = next((env[name] for name in ("LC_ALL", "LC_MESSAGES", "LANG") if env.get(name)), "")
    if _language_part(locale_name) in _NO_LANGUAGE:
        return settings.LANGUAGE_CODE
    candidates = [*env.get("LANGUAGE", "").split(":"), locale_name]
    for candidate in candidates:
        name = _language_part(candidate)
        if name in _NO_LANGUAGE:
            continue
        try:
            return get_supported_language_variant(to_language(name))
        except LookupError:  # a language kehu does not speak: try the next one
            continue
    return settings.LANGUAGE_CODE
