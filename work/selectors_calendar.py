"""Reads of the calendar: one user's appointments in a range, a team's side by side (busy-only where
the viewer may not see the appointment), the API's list, and the user a feed token opens.

Who sees what (AppointmentQuerySet): an appointment with a customer — whoever sees the customer, and
its attendees; one without (an internal meeting) — its attendees and the organiser's team (and
those who see every customer). In a team view, everyone else's appointments are "busy" slots: the
time only, no title, kind, customer, location or notes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from work.conflicts import Slot, occurrences
from work.models.calendar import Appointment, AppointmentAttendee, AppointmentKind, CalendarFeed
from work.plan_registry import LogEntry, period_bounds
from work.services_calendar import feed_token_hash


@dataclass(frozen=True)
class CalendarEntry:
    """One appointment in someone's calendar as a viewer may see it: `busy` entries carry the time only."""

    id: int | None  # None for busy slots: not even which appointment it is
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    start_date: date | None
    end_date: date | None
    busy: bool
    title: str = ""
    kind: str = ""
    location: str = ""
    customer_id: int | None = None
    customer_name: str = ""
    conflict_noted: bool = False


_COLUMNS = ("appointment_id", "user_id", "appointment__starts_at", "appointment__ends_at", "appointment__all_day",
            "appointment__start_date", "appointment__end_date", "appointment__recurrence",
            "appointment__recurrence_until", "appointment__title", "appointment__kind",
            "appointment__location", "appointment__customer_id", "appointment__customer__name",
            "appointment__conflict_noted", "appointment__time_zone")


def _entries(row: tuple[Any, ...], visible: bool, start: datetime, end: datetime) -> Iterator[CalendarEntry]:
    """The entries of a row of _COLUMNS (values, not model instances: a team's week is 300 rows) in
    [start, end): one per occurrence of a recurring appointment."""
    pk, _user, starts_at, ends_at, all_day, start_date, end_date, recurrence, until = row[:9]
    title, kind, location, customer_id, customer_name, conflict_noted, zone_name = row[9:]
    slot = Slot(starts_at=starts_at, ends_at=ends_at, all_day=all_day, start_date=start_date, end_date=end_date,
                recurrence=recurrence, until=until, zone=ZoneInfo(zone_name) if zone_name else None)
    # Repeats keep their own zone's wall clock; all-day days are the viewer's (the active zone).
    zone = timezone.get_current_timezone()
    for begin, finish in occurrences(slot, zone, start, end) if recurrence else [(starts_at, ends_at)]:
        if not visible:
            yield CalendarEntry(id=None, starts_at=begin, ends_at=finish, all_day=all_day, start_date=None,
                                end_date=None, busy=True)
            continue
        yield CalendarEntry(id=pk, starts_at=begin, ends_at=finish, all_day=all_day, start_date=start_date,
                            end_date=end_date, busy=False, title=title, kind=kind, location=location,
                            customer_id=customer_id, customer_name=customer_name or "", conflict_noted=conflict_noted)


def _attendances(user_ids: Iterable[int], start: datetime, end: datetime) -> QuerySet[AppointmentAttendee]:
    """Attendances of `user_ids` overlapping [start, end) — the (user, starts_at, ends_at) index."""
    return (AppointmentAttendee.objects
            .filter(user_id__in=list(user_ids), starts_at__lt=end, ends_at__gt=start,
                    appointment__deleted_at__isnull=True)
            .order_by("starts_at", "appointment_id"))


def calendar_entries(*, user: User, start: datetime, end: datetime) -> list[CalendarEntry]:
    """The user's own calendar in [start, end): every appointment they attend (or organise), in full."""
    entries = [e for row in _attendances([user.pk], start, end).values_list(*_COLUMNS)
               for e in _entries(row, True, start, end)]
    return sorted(entries, key=lambda e: e.starts_at)


def calendar_team_members(*, viewer: User, team_id: int | None = None) -> list[User]:
    """Whose calendars the viewer may put side by side: their own team's members (managers and
    colleagues alike); administrators any team (`team_id`, default their own). PermissionDenied for
    someone else's team, or without a team."""
    wanted = team_id or viewer.team_id
    if wanted is None or (wanted != viewer.team_id and viewer.effective_role != Role.ADMIN):
        raise PermissionDenied(_("You can see the calendars of your own team only."))
    return list(User.objects.filter(team_id=wanted, is_active=True).order_by("first_name", "username"))


def team_calendar(
    *, viewer: User, members: list[User], start: datetime, end: datetime
) -> list[tuple[User, list[CalendarEntry]]]:
    """Each member's appointments in [start, end), side by side; the ones the viewer may not see are
    busy slots. Two queries whatever the team's size."""
    rows = list(_attendances([m.pk for m in members], start, end).values_list(*_COLUMNS))
    visible = set(Appointment.objects.restrict(viewer, "view")
                  .filter(pk__in={r[0] for r in rows}).values_list("pk", flat=True))
    by_user: dict[int, list[CalendarEntry]] = {m.pk: [] for m in members}
    for r in rows:
        by_user[r[1]].extend(_entries(r, r[0] in visible, start, end))
    return [(m, sorted(by_user[m.pk], key=lambda e: e.starts_at)) for m in members]


def appointment_list(
    *, user: User, start: datetime, end: datetime, attendee_id: int | None = None, limit: int = 500
) -> list[Appointment]:
    """Appointments the user may see overlapping [start, end), optionally of one attendee."""
    # A recurring appointment keeps its first occurrence: it is in range while it still repeats.
    repeating = Q(recurrence__gt="", recurrence_until__gte=timezone.localtime(start).date())
    qs = (Appointment.objects.restrict(user, "view")
          .filter(Q(starts_at__lt=end) & (Q(ends_at__gt=start) | repeating))
          .select_related("customer").order_by("starts_at", "id"))
    if attendee_id is not None:
        qs = qs.filter(attendees__user_id=attendee_id)
    return list(qs[:limit])


def appointment_read(*, user: User, appointment_id: int) -> Appointment:
    """One appointment the user may see (Appointment.DoesNotExist otherwise), with its people."""
    return (Appointment.objects.restrict(user, "view").select_related("customer", "organiser")
            .prefetch_related("attendees__user", "contacts").get(pk=appointment_id))


def calendar_feed_user(token: str) -> User | None:
    """The active user whose feed `token` opens, or None."""
    try:
        feed = CalendarFeed.objects.select_related("user").get(token_hash=feed_token_hash(token))
    except ObjectDoesNotExist:
        return None
    return feed.user if feed.user.is_active else None


def feed_appointments(*, user: User, start: datetime, end: datetime) -> list[Appointment]:
    """The appointments of the user's own feed: every one they attend overlapping [start, end), in full."""
    return [a.appointment for a in _attendances([user.pk], start, end).select_related("appointment__customer")]


def appointment_log_entries(*, user_ids: Iterable[int], start: date, end: date) -> list[LogEntry]:
    """The daily log's appointments (work/plan_registry.py's log-source contract): every appointment
    (each occurrence of a repeating one) the users attend in [start, end] (business days), in two
    queries for all of them. Unscoped: the plan masks entries about customers the viewer may not see.
    Not a contact by itself — a meeting planned is not a meeting held; its recorded outcome (an
    interaction) is."""
    low, high = period_bounds(start, end)
    entries: list[LogEntry] = []
    for row in _attendances(user_ids, low, high).values_list(*_COLUMNS):
        for e in _entries(row, True, low, high):
            what = {"kind": AppointmentKind(e.kind).label, "title": e.title}
            label = (_("%(kind)s with %(customer)s: %(title)s") % {**what, "customer": e.customer_name}
                     if e.customer_id else _("%(kind)s: %(title)s") % what)
            entries.append(LogEntry(user_id=row[1], at=e.starts_at, kind="appointment", customer_id=e.customer_id,
                                    label=label, url=reverse("work:appointment_detail", args=[row[0]])))
    return entries
