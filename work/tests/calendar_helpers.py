"""Helpers of the calendar tests: appointments made through the service."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from work.services_calendar import appointment_create

ZONE = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: float) -> datetime:
    """2030-03-<day> <hour> in the business zone (a Monday week: 4–10 March 2030)."""
    return datetime(2030, 3, day, tzinfo=ZONE) + timedelta(hours=hour)


def make_appointment(actor: Any, start: datetime, end: datetime, *, users: tuple[Any, ...] = (),
                     save_anyway: bool = False, **data: Any) -> Any:
    data.setdefault("title", "Visit")
    return appointment_create(actor=actor, data={"starts_at": start, "ends_at": end, **data},
                              users=[u.pk for u in users], save_anyway=save_anyway)
