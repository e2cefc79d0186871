"""The SLA contract the service desk's parts use (complaints, requests).

Contract (stable; the SLA part owns the implementation):
- `deadlines(*, customer_id, subject, level, received_at)` → `Deadlines(acknowledge_by, resolve_by)`:
  when a complaint (subject "complaint", level a `Severity`) or a service request (subject "request",
  level a `RequestPriority`) received at `received_at` (aware datetime) must be acknowledged and
  resolved. Counted in business hours over the working calendar; a customer's active service
  agreement overrides the default times.
- `business_minutes_between(*, start, end)` → int: working minutes between two aware datetimes
  (0 when end <= start), for "time to acknowledge/resolve" against the SLA.

PROVISIONAL (skeleton only, replaced by the SLA part): a 24/7 clock with fixed default times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Deadlines:
    acknowledge_by: datetime
    resolve_by: datetime


_DEFAULT_HOURS = {  # (acknowledge, resolve) per level
    "critical": (1, 8),
    "urgent": (1, 8),
    "high": (2, 16),
    "medium": (4, 24),
    "normal": (4, 24),
    "low": (8, 40),
}


def deadlines(*, customer_id: int, subject: str, level: str, received_at: datetime) -> Deadlines:
    ack, resolve = _DEFAULT_HOURS[level]
    return Deadlines(received_at + timedelta(hours=ack), received_at + timedelta(hours=resolve))


def business_minutes_between(*, start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds() // 60))
