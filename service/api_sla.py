"""The SLA part of the REST API: service agreements (a customer's records: scoped, audited, versioned
as every record of the layer), and the working calendar, public holidays and SLA policies for
administrators to read (they change them on their pages)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from pydantic import PlainSerializer, WithJsonSchema

from accounts.models import User
from accounts.roles import Cap
from core.api import ERROR_RESPONSES, InSchema, cursor_page_schema
from customers.records.api import RecordApi
from service import selectors_sla as selectors
from service import services_sla as services
from service.choices import SlaSubject
from service.models import ServiceAgreement
from service.models.sla import MAX_SLA_MINUTES, AgreementLevel, AgreementStatus

router = Router()

LevelChoice = Literal[tuple(AgreementLevel.values)]  # type: ignore[valid-type]
StatusChoice = Literal[tuple(AgreementStatus.values)]  # type: ignore[valid-type]
SubjectChoice = Literal[tuple(SlaSubject.values)]  # type: ignore[valid-type]
Minutes = Annotated[int, Field(ge=1, le=MAX_SLA_MINUTES)]


def _str(max_length: int, min_length: int = 0) -> Any:
    return Annotated[str, Field(max_length=max_length, min_length=min_length)]


class SlaRow(Schema):
    subject: SubjectChoice  # type: ignore[valid-type]
    level: str = Field(description="A Severity (complaint) or RequestPriority (request) value.")
    acknowledge_minutes: Minutes
    resolve_minutes: Minutes


class AgreementIn(InSchema):
    customer: int = Field(description="Customer id.")
    number: _str(60) = ""  # type: ignore[valid-type]
    level: LevelChoice = AgreementLevel.STANDARD  # type: ignore[valid-type]
    starts_on: date
    ends_on: date
    terms: _str(20_000) = ""  # type: ignore[valid-type]
    sla: list[SlaRow] = Field(default_factory=list, description="Times granted (working minutes), overriding the "
                                                                "default policy for this customer.")


class AgreementPatchIn(InSchema):
    number: _str(60) | None = None  # type: ignore[valid-type]
    level: LevelChoice | None = None  # type: ignore[valid-type]
    starts_on: date | None = None
    ends_on: date | None = None
    terms: _str(20_000) | None = None  # type: ignore[valid-type]
    sla: list[SlaRow] | None = None


class DocumentOut(Schema):
    id: int
    name: str
    size: int


class AgreementOut(Schema):
    id: int
    customer: int
    number: str
    level: str
    starts_on: date
    ends_on: date
    status: str = Field(description="upcoming, active, expiring (within the renewal notice) or expired, today.")
    terms: str
    sla: list[SlaRow]
    documents: list[DocumentOut]
    created_by: int | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_customer(obj: ServiceAgreement) -> int:
        return obj.customer_id

    @staticmethod
    def resolve_created_by(obj: ServiceAgreement) -> int | None:
        return obj.created_by_id

    @staticmethod
    def resolve_sla(obj: ServiceAgreement) -> list[dict[str, Any]]:
        return [{k: r[k] for k in ("subject", "level", "acknowledge_minutes", "resolve_minutes")}
                for r in obj.sla_rows()]

    @staticmethod
    def resolve_documents(obj: ServiceAgreement) -> list[dict[str, Any]]:
        return [{"id": d.pk, "name": d.original_name, "size": d.size} for d in selectors.live_documents(obj)]


AgreementPage = cursor_page_schema(AgreementOut, "AgreementPage")


class AgreementFilters(Schema):
    customer: int | None = None
    level: LevelChoice | None = None  # type: ignore[valid-type]
    status: StatusChoice | None = None  # type: ignore[valid-type]
    ends_before: date | None = None
    cursor: _str(1000) | None = None  # type: ignore[valid-type]
    limit: Annotated[int, Field(ge=1, le=200)] = 50


def _list(*, user: User, filters: dict[str, Any], cursor: str | None = None, size: int = 50) -> Any:
    return selectors.agreement_list(user=user, filters=filters, cursor=cursor, size=size, with_documents=True)


RecordApi(
    kind=services.AGREEMENTS, path="/agreements", name="agreement", module=__name__, tags=["service agreements"],
    id_param="agreement_id", out=AgreementOut, page=AgreementPage, filters=AgreementFilters, list_selector=_list,
    create_in=AgreementIn, patch_in=AgreementPatchIn, nullable=(), blank_is_null=(),
    read=selectors.agreement_read,
    summaries={"list": "List service agreements", "create": "Record a service agreement",
               "detail": "Read a service agreement", "update": "Change a service agreement",
               "delete": "Delete a service agreement"},
).register(router)


# --- administrators: the calendar, holidays and policies (read) ---------------------------------------

def _admin(request: HttpRequest) -> None:
    user: User = request.auth  # type: ignore[attr-defined]
    if not user.can(Cap.MANAGE_USERS):
        raise PermissionDenied(_("Only administrators may read the working calendar and the SLA policies."))


# A wall-clock time of the working calendar ("09:00"), in the business zone: not an RFC 3339 "time",
# which needs an offset.
ClockTime = Annotated[time, PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str),
                      WithJsonSchema({"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "examples": ["09:00"]},
                                     mode="serialization")]


class CalendarOut(Schema):
    weekdays: list[int] = Field(description="ISO weekdays (1 Monday … 7 Sunday) that are working days.")
    day_start: ClockTime
    day_end: ClockTime
    lunch_start: ClockTime | None
    lunch_end: ClockTime | None
    renewal_notice_days: int


class HolidayOut(Schema):
    id: int
    date: date
    name: str
    is_working_day: bool = Field(description="True: a make-up working day (调休); false: a holiday.")


class SlaPolicyOut(Schema):
    subject: str
    level: str
    acknowledge_minutes: int
    resolve_minutes: int


class HolidayFilters(Schema):
    year: Annotated[int, Field(ge=1900, le=2999)] | None = None


@router.get("/sla/calendar", response={200: CalendarOut, **ERROR_RESPONSES}, tags=["SLA"],
            summary="Read the working calendar")
def sla_calendar(request: HttpRequest) -> dict[str, Any]:
    _admin(request)
    row = services.calendar_row()
    return {"weekdays": [int(c) for c in row.weekdays], "day_start": row.day_start, "day_end": row.day_end,
            "lunch_start": row.lunch_start, "lunch_end": row.lunch_end,
            "renewal_notice_days": row.renewal_notice_days}


@router.get("/sla/holidays", response={200: list[HolidayOut], **ERROR_RESPONSES}, tags=["SLA"],
            summary="List public holidays and make-up working days")
def sla_holidays(request: HttpRequest, filters: Query[HolidayFilters]) -> Any:
    _admin(request)
    return selectors.holiday_list(filters.year)


@router.get("/sla/policies", response={200: list[SlaPolicyOut], **ERROR_RESPONSES}, tags=["SLA"],
            summary="List the default SLA policies")
def sla_policies(request: HttpRequest) -> Any:
    _admin(request)
    return selectors.policy_table()
