"""Apps built in parts (one module per part: `<app>/urls_<part>.py`, `<app>/api_<part>.py`,
`<app>/registrations/<part>.py`) collect them here, so that adding a part touches no shared file."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType


def part_modules(app: str, kind: str, parts: tuple[str, ...]) -> list[ModuleType]:
    """The modules `<app>.<kind>_<part>` (or `<app>.<kind>.<part>` when kind ends with a dot) that
    exist, in the order of `parts`. Only "this module does not exist" is skipped: any other import
    error is a bug and raised."""
    out = []
    for part in parts:
        name = f"{app}.{kind}{part}" if kind.endswith(".") else f"{app}.{kind}_{part}"
        try:
            out.append(import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return out
