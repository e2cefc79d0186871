"""The calendar part of the REST API: appointments and the team view.

Same rules as the pages: reads scoped (out of scope is 404), writes through work.services_calendar
(permission, validation, audit with source "api"). A create or a rescheduling PATCH that overlaps
attendees' other appointments answers 409 with the conflicts (who, when, and what only where the
caller may see it) and saves nothing, unless the body says `"save_anyway": true`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from accounts.models import User
from core import concurrency
from core.api import ERROR_RESPONSES, ApiValidationError, InSchema, json_response
from work import selectors_calendar as selectors
from work import services_calendar as services
from work.conflicts import day_start
from work.models.calendar import Appointment, AppointmentKind, Recurrence

router = Router()

KindChoice = Literal[tuple(AppointmentKind.values)]  # type: ignore[valid-type]
RecurrenceChoice = Literal[tuple(Recurrence.values)]  # type: ignore[valid-type]
MAX_RANGE = timedelta(days=100)


def _str(max_length: int, min_length: int = 0) -> Any:
    return Annotated[str, Field(max_length=max_length, min_length=min_length)]


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class AppointmentIn(InSchema):
    kind: KindChoice = "visit"  # type: ignore[valid-type]
    title: _str(200, 1)  # type: ignore[valid-type]
    starts_at: datetime | None = Field(None, description="Start (with its offset); not for all-day ones.")
    ends_at: datetime | None = Field(None, description="End, after the start; not for all-day ones.")
    all_day: bool = False
    start_date: date | None = Field(None, description="First day of an all-day appointment.")
    end_date: date | None = Field(None, description="Last day (included) of an all-day appointment.")
    recurrence: RecurrenceChoice = Field("", description='"daily" or "weekly" ("": does not repeat).')  # type: ignore[valid-type]
    recurrence_until: date | None = Field(None, description="Last day it repeats on (within a year).")
    location: _str(200) = ""  # type: ignore[valid-type]
    notes: _str(20_000) = ""  # type: ignore[valid-type]
    customer: int | None = Field(None, description="Customer id (none: an internal meeting).")
    users: list[int] = Field(default_factory=list, description="User ids of the attendees (you are one).")
    contacts: list[int] = Field(default_factory=list, description="Contact person ids of the customer.")
    record_type: _str(100) | None = Field(None, description='Linked record\'s kind, "app.model".')  # type: ignore[valid-type]
    record_id: int | None = None
    save_anyway: bool = Field(False, description="Save although it overlaps attendees' other appointments.")


class AppointmentPatchIn(InSchema):
    kind: KindChoice | None = None  # type: ignore[valid-type]
    title: _str(200, 1) | None = None  # type: ignore[valid-type]
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    all_day: bool | None = None
    start_date: date | None = None
    end_date: date | None = None
    recurrence: RecurrenceChoice | None = None  # type: ignore[valid-type]
    recurrence_until: date | None = None
    location: _str(200) | None = None  # type: ignore[valid-type]
    notes: _str(20_000) | None = None  # type: ignore[valid-type]
    customer: int | None = None
    users: list[int] | None = None
    contacts: list[int] | None = None
    save_anyway: bool = False


class AppointmentOut(Schema):
    id: int
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    start_date: date | None
    end_date: date | None
    recurrence: str
    recurrence_until: date | None
    location: str
    notes: str
    customer: int | None
    organiser: int
    users: list[int]
    contacts: list[int]
    conflict_noted: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_customer(obj: Appointment) -> int | None:
        return obj.customer_id

    @staticmethod
    def resolve_organiser(obj: Appointment) -> int:
        return obj.organiser_id

    @staticmethod
    def resolve_users(obj: Appointment) -> list[int]:
        return sorted(a.user_id for a in obj.attendees.all())

    @staticmethod
    def resolve_contacts(obj: Appointment) -> list[int]:
        return sorted(c.pk for c in obj.contacts.all())


class _Range(Schema):
    start: datetime | None = Field(None, description="From (included); default: this week's Monday 00:00.")
    end: datetime | None = Field(None, description="Until (excluded), at most 100 days after `start`; "
                                                   "default: a week after `start`.")


class RangeFilters(_Range):
    attendee: int | None = Field(None, description="Only the appointments of this user id.")


class TeamFilters(_Range):
    team: int | None = Field(None, description="Team id (administrators); default: yours.")


def _range(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """The requested range, by default the current week in the business zone; a 400 when it is empty
    or longer than 100 days."""
    if start is None:
        today = timezone.localdate()
        start = day_start(today - timedelta(days=today.weekday()), timezone.get_current_timezone())
    end = end or start + timedelta(days=7)
    if not start < end <= start + MAX_RANGE:
        raise ApiValidationError.field(["query", "end"], _("The end must be after the start, by at most 100 days."))
    return start, end


def _conflicts_answer(exc: services.AppointmentConflicts) -> HttpResponse:
    return json_response({"detail": str(exc), "conflicts": [_conflict(c) for c in exc.conflicts]}, status=409)


def _conflict(c: services.Conflict) -> dict[str, Any]:
    return {"user": c.user_id, "user_name": c.user_name, "appointment": c.appointment_id, "task": c.task_id,
            "starts_at": c.starts_at, "ends_at": c.ends_at, "all_day": c.all_day, "busy_only": c.busy_only,
            "title": c.title}


def _read(user: User, appointment_id: int, response: HttpResponse) -> Appointment:
    obj = selectors.appointment_read(user=user, appointment_id=appointment_id)
    concurrency.set_etag(response, obj)
    return obj


def _data(payload: dict[str, Any]) -> dict[str, Any]:
    if "record_type" in payload:
        payload["record_type"] = services.record_type_of(payload["record_type"])
    return payload


@router.get("/appointments", response={200: list[AppointmentOut], **ERROR_RESPONSES}, tags=["appointments"],
            summary="List appointments in a time range")
def appointment_list(request: HttpRequest, filters: Query[RangeFilters]) -> list[Appointment]:
    """The appointments you may see overlapping [start, end) (at most 500, in time order)."""
    start, end = _range(filters.start, filters.end)
    rows = selectors.appointment_list(user=_user(request), start=start, end=end, attendee_id=filters.attendee)
    prefetch_related_objects(rows, "attendees", "contacts")
    return rows


@router.post("/appointments", response={201: AppointmentOut, 409: dict, **ERROR_RESPONSES}, tags=["appointments"],
             summary="Create an appointment")
def appointment_create(request: HttpRequest, response: HttpResponse, payload: AppointmentIn) -> Any:
    """409 with `conflicts` when it overlaps attendees' other appointments, unless `save_anyway`."""
    user = _user(request)
    data = payload.model_dump()
    users, contacts, save_anyway = data.pop("users"), data.pop("contacts"), data.pop("save_anyway")
    try:
        obj = services.appointment_create(actor=user, data=_data(data), users=users, contacts=contacts,
                                          save_anyway=save_anyway)
    except services.AppointmentConflicts as exc:
        return _conflicts_answer(exc)
    return Status(201, _read(user, obj.pk, response))


@router.get("/appointments/{int:appointment_id}", response={200: AppointmentOut, **ERROR_RESPONSES},
            tags=["appointments"], summary="Read an appointment")
def appointment_detail(request: HttpRequest, response: HttpResponse, appointment_id: int) -> Appointment:
    """With an ETag: send it as If-Match when you change the appointment."""
    return _read(_user(request), appointment_id, response)


@router.patch("/appointments/{int:appointment_id}", response={200: AppointmentOut, 409: dict, **ERROR_RESPONSES},
              tags=["appointments"], summary="Change or reschedule an appointment")
def appointment_update(request: HttpRequest, response: HttpResponse, appointment_id: int,
                       payload: AppointmentPatchIn) -> Any:
    """Only the fields sent change. If-Match refuses with 409 a change of an appointment that changed
    since; a new time that conflicts answers 409 with `conflicts` unless `save_anyway`."""
    user = _user(request)
    selectors.appointment_read(user=user, appointment_id=appointment_id)
    data = payload.model_dump(exclude_unset=True)
    users, contacts = data.pop("users", None), data.pop("contacts", None)
    save_anyway = data.pop("save_anyway", False)
    data = {k: v for k, v in data.items() if v is not None or k in ("customer", "starts_at", "ends_at",
                                                                    "recurrence_until")}
    try:
        services.appointment_update(actor=user, appointment_id=appointment_id, data=data, users=users,
                                    contacts=contacts, save_anyway=save_anyway,
                                    expected_version=concurrency.if_match(request))
    except services.AppointmentConflicts as exc:
        return _conflicts_answer(exc)
    return _read(user, appointment_id, response)


@router.delete("/appointments/{int:appointment_id}", response={204: None, **ERROR_RESPONSES},
               tags=["appointments"], summary="Delete an appointment")
def appointment_delete(request: HttpRequest, appointment_id: int) -> Status[None]:
    user = _user(request)
    selectors.appointment_read(user=user, appointment_id=appointment_id)
    services.appointment_delete(actor=user, appointment_id=appointment_id)
    return Status(204, None)


class CalendarEntryOut(Schema):
    id: int | None = Field(description="None for a busy slot.")
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    busy: bool
    title: str
    kind: str
    location: str
    customer: int | None
    customer_name: str


class CalendarMemberOut(Schema):
    user: int
    name: str
    appointments: list[CalendarEntryOut]


@router.get("/calendar/team", response={200: list[CalendarMemberOut], **ERROR_RESPONSES}, tags=["appointments"],
            summary="Your team's calendars side by side")
def calendar_team(request: HttpRequest, filters: Query[TeamFilters]) -> list[dict[str, Any]]:
    """Each member's appointments in [start, end); those you may not see are `busy` with the time only."""
    start, end = _range(filters.start, filters.end)
    user = _user(request)
    members = selectors.calendar_team_members(viewer=user, team_id=filters.team)
    return [{"user": m.pk, "name": str(m), "appointments": [
        {"id": e.id, "starts_at": e.starts_at, "ends_at": e.ends_at, "all_day": e.all_day, "busy": e.busy,
         "title": e.title, "kind": e.kind, "location": e.location, "customer": e.customer_id,
         "customer_name": e.customer_name} for e in entries]}
        for m, entries in selectors.team_calendar(viewer=user, members=members, start=start, end=end)]
