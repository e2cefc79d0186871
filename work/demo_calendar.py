"""Demo appointments (`kehu demo`, via core.registry "demo_generators"), and the bulk writer the
bench's calendar team uses too.

Every active demo user who owns customers (sales, managers, service) gets, from four weeks before
the day the demo is loaded to four weeks after it, one to three appointments per working day
between 09:00 and 18:00 in the business zone: visits, calls and asset reviews with their own
customers (of the range just generated), and each team a weekly meeting on Monday morning with all
its members. A few overlap on purpose (about one in twenty is booked over another and noted as a
conflict), as real calendars do. Written in bulk, no services, no per-row audit entries.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from work.models.calendar import Appointment, AppointmentAttendee, AppointmentKind

WEEKS_AROUND = 4
_TITLES = {
    AppointmentKind.VISIT: ["上门拜访", "产品介绍面谈", "签约面谈", "年度回顾拜访"],
    AppointmentKind.CALL: ["电话回访", "到期提醒电话", "满意度回访"],
    AppointmentKind.ASSET_REVIEW: ["资产配置检视", "持仓回顾"],
}
_LOCATIONS = ["客户公司", "营业部", "客户家中", "咖啡馆", ""]


@dataclass(frozen=True)
class DemoAppointment:
    organiser_id: int
    attendee_ids: Sequence[int]
    customer_id: int | None
    kind: str
    title: str
    location: str
    starts_at: datetime
    ends_at: datetime
    conflict_noted: bool = False


def write_appointments(rows: Sequence[DemoAppointment], batch: int = 2000) -> int:
    """Insert appointments and their attendee rows in bulk (the organiser is always an attendee)."""
    written = 0
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        made = Appointment.objects.bulk_create([
            Appointment(organiser_id=r.organiser_id, customer_id=r.customer_id, kind=r.kind, title=r.title,
                        location=r.location, starts_at=r.starts_at, ends_at=r.ends_at,
                        conflict_noted=r.conflict_noted) for r in chunk])
        AppointmentAttendee.objects.bulk_create([
            AppointmentAttendee(appointment_id=a.pk, user_id=uid, starts_at=r.starts_at, ends_at=r.ends_at)
            for a, r in zip(made, chunk, strict=True) for uid in sorted({r.organiser_id, *r.attendee_ids})])
        written += len(made)
    return written


def _slot(rnd: random.Random, day: Any, zone: Any) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(9)).replace(tzinfo=zone) + timedelta(minutes=30 * rnd.randrange(16))
    return start, start + timedelta(minutes=rnd.choice([30, 60, 60, 90, 120]))


def plan(*, users: Sequence[tuple[int, int | None]], customers: dict[int, list[int]], seed: int,
         today: Any, weeks: int = WEEKS_AROUND) -> list[DemoAppointment]:
    """The appointments of `users` ((id, team id) pairs), with their `customers` (user id → customer ids)."""
    rnd = random.Random(f"appointments-{seed}")
    zone = timezone.get_default_timezone()
    first = today - timedelta(days=today.weekday() + 7 * weeks)
    days = [first + timedelta(days=n) for n in range(7 * 2 * weeks) if (first + timedelta(days=n)).weekday() < 5]
    rows: list[DemoAppointment] = []
    teams: dict[int, list[int]] = {}
    for uid, team in users:
        if team is not None:
            teams.setdefault(team, []).append(uid)
    for members in teams.values():
        for day in days:
            if day.weekday() == 0:
                start = datetime.combine(day, time(9)).replace(tzinfo=zone)
                rows.append(DemoAppointment(members[0], members, None, AppointmentKind.MEETING, "团队周会", "会议室",
                                            start, start + timedelta(hours=1)))
    for uid, _team in users:
        mine = customers.get(uid) or []
        if not mine:
            continue
        for day in days:
            taken: list[tuple[datetime, datetime]] = []
            for _n in range(rnd.choice([1, 1, 2, 2, 3])):
                kind = rnd.choice([AppointmentKind.VISIT, AppointmentKind.CALL, AppointmentKind.CALL,
                                   AppointmentKind.ASSET_REVIEW])
                start, end = _slot(rnd, day, zone)
                overlaps = any(s < end and start < e for s, e in taken) or (
                    day.weekday() == 0 and start < datetime.combine(day, time(10)).replace(tzinfo=zone))
                if overlaps and rnd.random() > 0.05:
                    continue  # most people would pick another time; a few save anyway
                taken.append((start, end))
                rows.append(DemoAppointment(uid, [], rnd.choice(mine), kind, rnd.choice(_TITLES[kind]),
                                            rnd.choice(_LOCATIONS) if kind != AppointmentKind.CALL else "",
                                            start, end, conflict_noted=overlaps))
    return rows


def generate(*, first_customer_id: int, last_customer_id: int, seed: int,
             progress: Callable[[str, int, int], None]) -> dict[str, float]:
    """The demo generator (contract in customers/management/commands/demo.py)."""
    from accounts.models import User
    from customers.models import Customer

    started = timezone.now()
    users = list(User.objects.filter(is_demo=True, is_active=True, role__in=["sales", "manager", "service"])
                 .order_by("pk").values_list("pk", "team_id"))
    customers: dict[int, list[int]] = {}
    for uid, _team in users:
        customers[uid] = list(Customer.objects.filter(owner_id=uid, pk__gte=first_customer_id,
                                                      pk__lte=last_customer_id).order_by("pk")
                              .values_list("pk", flat=True)[:200])
    rows = plan(users=users, customers=customers, seed=seed, today=timezone.localdate())
    with transaction.atomic():
        written = write_appointments(rows)
    progress("appointments", written, written)
    return {"appointments": (timezone.now() - started).total_seconds()}
