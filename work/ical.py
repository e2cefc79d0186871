"""Appointments as iCalendar (RFC 5545) text: a user's private feed and one appointment's .ics.

Times are written in UTC (``…Z``), which every calendar (Outlook, Apple, Google) reads without a
VTIMEZONE; all-day appointments are DATE values with the day after the last as DTEND (exclusive, as
the RFC says). UIDs are stable per appointment and site, so a subscribed calendar updates an event
instead of duplicating it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from work.conflicts import day_start
from work.models.calendar import Appointment

PRODID = "-//kehu//kehu CRM calendar//EN"


def _uid(appointment: Appointment) -> str:
    host = (settings.ALLOWED_HOSTS or ["kehu"])[0].lstrip(".") or "kehu"
    if host == "*":
        host = "kehu"
    return f"appointment-{appointment.pk}@{host}"


def _event(appointment: Appointment) -> Event:
    event = Event()
    event.add("uid", _uid(appointment))
    event.add("dtstamp", appointment.updated_at.astimezone(UTC))
    if appointment.all_day and appointment.start_date:
        event.add("dtstart", appointment.start_date)
        event.add("dtend", (appointment.end_date or appointment.start_date) + timedelta(days=1))
    elif appointment.recurrence:
        # A series keeps its zone's wall clock (09:00 stays 09:00 across a daylight-saving change, the
        # month's day is the zone's): local times with TZID, the zone's VTIMEZONE added to the calendar.
        event.add("dtstart", appointment.starts_at.astimezone(appointment.zone))
        event.add("dtend", appointment.ends_at.astimezone(appointment.zone))
    else:
        event.add("dtstart", appointment.starts_at.astimezone(UTC))
        event.add("dtend", appointment.ends_at.astimezone(UTC))
    if appointment.recurrence and appointment.recurrence_until:
        # UNTIL in UTC when DTSTART is (RFC 5545 3.3.10): the end of the last day in the business zone.
        until = day_start(appointment.recurrence_until + timedelta(days=1), appointment.zone)
        rule: dict[str, Any] = {"FREQ": appointment.recurrence.upper(), "UNTIL": (
            appointment.recurrence_until if appointment.all_day else until.astimezone(UTC) - timedelta(seconds=1))}
        first = appointment.start_date if appointment.all_day and appointment.start_date \
            else appointment.starts_at.astimezone(appointment.zone).date()
        if appointment.recurrence == "monthly" and first.day > 28:
            # kehu falls back to a shorter month's last day (the 31st → 30 April); plain RRULE would skip
            # those months: the last of the days 28…first.day that the month has.
            rule.update(BYMONTHDAY=list(range(28, first.day + 1)), BYSETPOS=-1)
        event.add("rrule", rule)
    event.add("summary", appointment.title)
    event.add("categories", [appointment.get_kind_display()])
    if appointment.location:
        event.add("location", appointment.location)
    description = "\n".join(x for x in (appointment.customer.name if appointment.customer_id else "",
                                        appointment.notes) if x)
    if description:
        event.add("description", description)
    event.add("last-modified", appointment.updated_at.astimezone(UTC))
    return event


def calendar_ics(appointments: Iterable[Appointment], *, name: str = "") -> bytes:
    """A VCALENDAR with one VEVENT per appointment (customer loaded with `select_related`)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", str(timezone.get_default_timezone()))
    for appointment in appointments:
        cal.add_component(_event(appointment))
    cal.add_missing_timezones()
    return cal.to_ical()
