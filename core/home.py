"""Panels on the home page contributed by the apps above (core.registry "home_panels"), so that the
home page never imports them. A contributor is `fn(user) -> list[HomePanel]`; it must be fast (an
indexed query or two: the home page is the most visited page) and show only what `user` may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core import registry

HOME_PANELS = "home_panels"


@dataclass
class HomePanel:
    key: str
    title: str
    template: str  # rendered with `panel`
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100


def home_panels(user: Any) -> list[HomePanel]:
    """The panels of the installed apps for `user`, by `order`."""
    out: list[HomePanel] = []
    for contributor in registry.get_all(HOME_PANELS):
        out.extend(contributor(user))
    return sorted(out, key=lambda p: p.order)
