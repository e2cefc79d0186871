"""The SLA contract the service desk's parts use (complaints, requests).

Contract (stable; the SLA part owns the implementation):
- `deadlines(*, customer_id, subject, level, received_at)` → `Deadlines(acknowledge_by, resolve_by)`:
  when a complaint (subject "complaint", level a `Severity`) or a service request (subject "request",
  level a `RequestPriority`) received at `received_at` (aware datetime) must be acknowledged and
  resolved. Counted in working minutes over the working calendar (service.business_time, with the
  administrators' working days and hours, public holidays and make-up working days, in the
  business time zone). The times are those of the customer's service agreement in force on
  `received_at`'s date (business zone) when it grants this subject and level; otherwise the default
  `SlaPolicy`. One query (the agreement) once the calendar and the policies are cached.
- `business_minutes_between(*, start, end)` → int: working minutes between two aware datetimes
  (0 when end <= start), for "time to acknowledge/resolve" against the SLA. No query once cached.

The calendar and the default policies are read once per process and kept for `CACHE_SECONDS`
(they change a few times a year); the SLA part's services drop the cache when an administrator
changes them, so the process that made the change sees it at once and the others within minutes.
"""

from __future__ import annotations

import threading
import time as clock
from dataclasses import dataclass
from datetime import date, datetime

from service.business_time import BusinessCalendar

CACHE_SECONDS = 300

# The defaults (acknowledge, resolve) in working minutes per subject and level, as the data
# migration seeds SlaPolicy; also the fallback should an administrator's row be missing.
DEFAULT_MINUTES: dict[str, dict[str, tuple[int, int]]] = {
    "complaint": {"critical": (30, 480), "high": (60, 960), "medium": (240, 1440), "low": (480, 2400)},
    "request": {"urgent": (60, 480), "high": (120, 960), "normal": (240, 1920), "low": (480, 2400)},
}


@dataclass(frozen=True)
class Deadlines:
    acknowledge_by: datetime
    resolve_by: datetime


@dataclass(frozen=True)
class _Setup:
    calendar: BusinessCalendar
    policies: dict[tuple[str, str], tuple[int, int]]
    loaded_at: float


_lock = threading.Lock()
_cached: _Setup | None = None


def invalidate() -> None:
    """Forget the cached calendar and policies (after a change, and in tests)."""
    global _cached
    with _lock:
        _cached = None


def _load() -> _Setup:
    from service.models import Holiday, SlaPolicy, WorkingCalendar
    from work.plan_registry import business_zone

    row = WorkingCalendar.objects.filter(key="default").first() or WorkingCalendar()
    days_off: list[date] = []
    days_on: list[date] = []
    for day, working in Holiday.objects.values_list("date", "is_working_day"):
        (days_on if working else days_off).append(day)
    calendar = BusinessCalendar.build(zone=business_zone(), weekdays=row.python_weekdays, periods=row.periods,
                                      days_off=days_off, days_on=days_on)
    policies = {(s, lv): (a, r) for s, lv, a, r in
                SlaPolicy.objects.values_list("subject", "level", "acknowledge_minutes", "resolve_minutes")}
    return _Setup(calendar=calendar, policies=policies, loaded_at=clock.monotonic())


def _setup() -> _Setup:
    global _cached
    current = _cached
    if current is None or clock.monotonic() - current.loaded_at > CACHE_SECONDS:
        current = _load()
        with _lock:
            _cached = current
    return current


def working_calendar() -> BusinessCalendar:
    """The service desk's working calendar (cached; see the module)."""
    return _setup().calendar


def default_minutes(subject: str, level: str) -> tuple[int, int]:
    """The default (acknowledge, resolve) working minutes of a subject and level."""
    if subject not in DEFAULT_MINUTES or level not in DEFAULT_MINUTES[subject]:
        raise ValueError(f"no SLA for subject {subject!r} and level {level!r}")
    return _setup().policies.get((subject, level)) or DEFAULT_MINUTES[subject][level]


def agreed_minutes(*, customer_id: int, subject: str, level: str, on: date) -> tuple[int, int] | None:
    """The (acknowledge, resolve) minutes the customer's agreement in force on `on` grants, if any
    (the latest started one when several overlap)."""
    from service.models import ServiceAgreement

    terms = (ServiceAgreement.objects.filter(customer_id=customer_id, deleted_at__isnull=True,
                                             starts_on__lte=on, ends_on__gte=on)
             .order_by("-starts_on", "-id").values_list("sla", flat=True).first())
    times = (terms or {}).get(subject, {}).get(level)
    return (int(times[0]), int(times[1])) if times else None


def deadlines(*, customer_id: int, subject: str, level: str, received_at: datetime) -> Deadlines:
    setup = _setup()
    default = default_minutes(subject, level)  # also refuses an unknown subject or level
    on = received_at.astimezone(setup.calendar.zone).date()
    acknowledge, resolve = agreed_minutes(customer_id=customer_id, subject=subject, level=level, on=on) or default
    return Deadlines(setup.calendar.add_minutes(received_at, acknowledge),
                     setup.calendar.add_minutes(received_at, resolve))


def business_minutes_between(*, start: datetime, end: datetime) -> int:
    return _setup().calendar.minutes_between(start, end)
