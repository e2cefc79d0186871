"""Panels on the home page (the dashboard), contributed by higher apps (the home page lives in `kehu`,
the panels' data in the domain apps).

Contract: `registry.add("home_panels", fn)` with `fn(user) -> list[core.timeline.CardPanel]`: each
panel is rendered from its `template` with its `context` in the home page's "panels" area; a
contributor runs a fixed number of queries and returns [] when it has nothing to show the user.
"""

from __future__ import annotations

from typing import Any

from core import registry
from core.timeline import CardPanel

REGISTRY_NAME = "home_panels"


def home_panels(user: Any) -> list[CardPanel]:
    out: list[CardPanel] = []
    for contributor in registry.get_all(REGISTRY_NAME):
        out.extend(contributor(user))
    return out
