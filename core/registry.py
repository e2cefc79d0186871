"""A small registry through which higher apps hand lower ones what they need without imports
going upward (e.g. the audit app asks "which customer ids may this user see?")."""

from collections.abc import Callable
from typing import Any

_registry: dict[str, Any] = {}


def register(name: str, value: Any) -> None:
    _registry[name] = value


def get(name: str) -> Callable[..., Any]:
    try:
        return _registry[name]
    except KeyError as exc:  # pragma: no cover - configuration error
        raise LookupError(f"nothing registered as {name!r}") from exc


# Lists: several apps contribute to one name (timeline providers, demo generators, …), in app order.
_lists: dict[str, list[Any]] = {}


def add(name: str, value: Any) -> None:
    """Add `value` to the list registered under `name` (once: AppConfig.ready may run twice in tests)."""
    values = _lists.setdefault(name, [])
    if value not in values:
        values.append(value)


def get_all(name: str) -> list[Any]:
    """Everything added under `name` (empty when nothing is)."""
    return list(_lists.get(name, []))
