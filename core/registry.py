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
