"""Reads of orders, products and costs (filled in below)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.utils.translation import gettext_lazy as _

from core.timeline import TimelineCursor, TimelineEntry, timeline_provider


@timeline_provider(kinds={"order": _("Orders")})
def order_timeline(user: Any, customer_id: int, kinds: Collection[str] | None, before: TimelineCursor | None,
                   limit: int) -> list[TimelineEntry]:
    return []


@timeline_provider(kinds={"cost": _("Costs")})
def cost_timeline(user: Any, customer_id: int, kinds: Collection[str] | None, before: TimelineCursor | None,
                  limit: int) -> list[TimelineEntry]:
    return []
