"""The win-back part of the REST API: mark a customer lost, the "reason unknown" queue, win-back
campaigns (create, list, read with their attempts) and the rates.

Same rules as the pages: customers are scoped (a customer outside the caller's scope is 404), writes
go through retention.services_winback (permission, validation, audit with source "api")."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from accounts.models import User
from core.api import ERROR_RESPONSES, DecimalIn, DecimalText, InSchema, cursor_page_schema, cursor_sign, cursor_unsign
from customers.models import Customer
from interactions.choices import InteractionChannel
from retention import selectors_winback as selectors
from retention import services_winback as services
from retention.models import WinbackAttempt, WinbackCampaign
from retention.models.winback import ValueBasis
from segmentation.choices import ChurnReason
from segmentation.refresh import business_today

router = Router()

ReasonChoice = Literal[tuple(ChurnReason.values)]  # type: ignore[valid-type]
ReasonOrUnknown = Literal[tuple(selectors.REASON_KEYS)]  # type: ignore[valid-type]
ChannelChoice = Literal[tuple(InteractionChannel.values)]  # type: ignore[valid-type]
BasisChoice = Literal[tuple(ValueBasis.values)]  # type: ignore[valid-type]
Days = Annotated[int, Field(ge=0, le=36500)]
Amount = Annotated[Decimal, DecimalIn(max_digits=16, decimal_places=2, ge=0)]
Cursor = Annotated[str, Field(max_length=1000)]


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class LossContactIn(InSchema):
    channel: ChannelChoice  # type: ignore[valid-type]
    subject: Annotated[str, Field(min_length=1, max_length=200)]
    content: Annotated[str, Field(max_length=20_000)] = ""


class MarkLostIn(InSchema):
    reason: ReasonChoice = Field(description="The reason class (D9).")  # type: ignore[valid-type]
    note: Annotated[str, Field(max_length=2000)] = ""
    competitor: Annotated[str, Field(max_length=200)] = ""
    marked_on: date | None = Field(None, description="The day the loss began (default today); ignored for a "
                                                     "customer waiting in the reason-unknown queue.")
    interaction: int | None = Field(None, description="The interaction that told the reason (required, or "
                                                      "`contact`, for a customer in the reason-unknown queue).")
    contact: LossContactIn | None = None


class LossOut(Schema):
    id: int
    customer: int
    reason: str
    note: str
    competitor: str
    lost_on: date
    interaction: int | None
    recorded_at: datetime


def _loss_out(loss: Any) -> dict[str, Any]:
    return {"id": loss.pk, "customer": loss.customer_id, "reason": loss.mark.churn_reason, "note": loss.mark.note,
            "competitor": loss.competitor, "lost_on": loss.lost_on, "interaction": loss.interaction_id,
            "recorded_at": loss.recorded_at}


@router.post("/retention/customers/{int:customer_id}/lost", response={201: LossOut, **ERROR_RESPONSES},
             tags=["win-back"], summary="Mark a customer lost (or classify a loss waiting for its reason)")
def mark_lost(request: HttpRequest, customer_id: int, payload: MarkLostIn) -> Status:
    user = _user(request)
    Customer.objects.restrict(user, "view").only("id").get(pk=customer_id)  # 404 outside the caller's scope
    loss = services.customer_mark_lost(
        actor=user, customer_id=customer_id, reason=payload.reason, note=payload.note, competitor=payload.competitor,
        marked_on=payload.marked_on, interaction_id=payload.interaction,
        contact={**payload.contact.dict(), "direction": "outbound"} if payload.contact else None)
    return Status(201, _loss_out(loss))


class UnknownOut(Schema):
    customer: int
    name: str
    owner: int | None
    lost_since: date | None
    last_order_on: date | None
    orders_total: int


UnknownPage = cursor_page_schema(UnknownOut, "ReasonUnknownPage")


class UnknownFilters(Schema):
    whose: Literal["mine", "team"] = "mine"
    cursor: Cursor | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


@router.get("/retention/reason-unknown", response={200: UnknownPage, **ERROR_RESPONSES}, tags=["win-back"],
            summary="Lost customers whose reason is not known (yours, or your team's for managers)")
def reason_unknown(request: HttpRequest, filters: Query[UnknownFilters]) -> dict[str, Any]:
    user = _user(request)
    mine = filters.whose == "mine" or not user.leads_team
    scope = f"reason-unknown:{mine}"
    page = selectors.reason_unknown_page(user, mine=mine, cursor=cursor_unsign(filters.cursor, scope),
                                         size=filters.limit)
    return {"items": [{"customer": s.customer_id, "name": s.customer.name, "owner": s.customer.owner_id,
                       "lost_since": s.lost_since, "last_order_on": s.last_order_on, "orders_total": s.orders_total}
                      for s in page.items],
            "next_cursor": cursor_sign(page.next_cursor, scope),
            "previous_cursor": cursor_sign(page.previous_cursor, scope)}


class CampaignIn(InSchema):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    reasons: list[ReasonOrUnknown] = Field(default_factory=list, max_length=9,  # type: ignore[valid-type]
                                           description="Reason classes; empty: every reason.")
    value_basis: BasisChoice = "clv"  # type: ignore[valid-type]
    value_min: Amount | None = None
    value_max: Amount | None = None
    lost_min_days: Days | None = None
    lost_max_days: Days | None = None
    by_task: bool = True
    by_email: bool = False
    language: Literal["zh-hans", "en"] = "zh-hans"
    task_due_days: Annotated[int, Field(ge=0, le=365)] = 7


class CampaignOut(Schema):
    id: int
    name: str
    reasons: list[str]
    value_basis: str
    value_min: DecimalText | None
    value_max: DecimalText | None
    lost_min_days: int | None
    lost_max_days: int | None
    by_task: bool
    by_email: bool
    language: str
    status: str
    total: int
    done: int
    created_by: int | None
    created_at: datetime
    attempted: int
    won_back: int


class AttemptOut(Schema):
    id: int
    customer: int
    reason: str
    channel: str
    status: str
    note: str
    sent_at: datetime
    task: int | None
    outcome: str
    won_back_on: date | None


class CampaignDetailOut(CampaignOut):
    attempts: list[AttemptOut]
    next_cursor: str | None = None


def _campaign_out(c: WinbackCampaign, counts: dict[str, int]) -> dict[str, Any]:
    return {"id": c.pk, "name": c.name, "reasons": c.reasons, "value_basis": c.value_basis, "value_min": c.value_min,
            "value_max": c.value_max, "lost_min_days": c.lost_min_days, "lost_max_days": c.lost_max_days,
            "by_task": c.by_task, "by_email": c.by_email, "language": c.language, "status": c.status,
            "total": c.total, "done": c.done, "created_by": c.created_by_id, "created_at": c.created_at,
            "attempted": counts.get("attempted", 0), "won_back": counts.get("won", 0)}


def _attempt_out(a: WinbackAttempt) -> dict[str, Any]:
    return {"id": a.pk, "customer": a.customer_id, "reason": a.reason, "channel": a.channel, "status": a.status,
            "note": a.note, "sent_at": a.sent_at, "task": a.task_id, "outcome": a.outcome,
            "won_back_on": a.won_back_on}


@router.post("/retention/winback/campaigns", response={201: CampaignOut, **ERROR_RESPONSES}, tags=["win-back"],
             summary="Start a win-back campaign (its attempts are made in the background)")
def campaign_create(request: HttpRequest, payload: CampaignIn) -> Status:
    campaign = services.campaign_create(actor=_user(request), data=payload.dict())
    return Status(201, _campaign_out(campaign, {}))


CampaignPage = cursor_page_schema(CampaignOut, "WinbackCampaignPage")


class CampaignFilters(Schema):
    cursor: Cursor | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20


@router.get("/retention/winback/campaigns", response={200: CampaignPage, **ERROR_RESPONSES}, tags=["win-back"],
            summary="List win-back campaigns (newest first)")
def campaign_list(request: HttpRequest, filters: Query[CampaignFilters]) -> dict[str, Any]:
    from core.pagination import keyset_page

    user = _user(request)
    page = keyset_page(selectors.campaigns(user), ordering=["-created_at", "-id"],
                       cursor=cursor_unsign(filters.cursor, "campaigns"), size=filters.limit)
    counts = selectors.campaign_counts(user, [c.pk for c in page.items])
    return {"items": [_campaign_out(c, counts.get(c.pk, {})) for c in page.items],
            "next_cursor": cursor_sign(page.next_cursor, "campaigns"),
            "previous_cursor": cursor_sign(page.previous_cursor, "campaigns")}


class AttemptFilters(Schema):
    cursor: Cursor | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 100


@router.get("/retention/winback/campaigns/{int:campaign_id}", response={200: CampaignDetailOut, **ERROR_RESPONSES},
            tags=["win-back"], summary="Read a win-back campaign with its attempts")
def campaign_detail(request: HttpRequest, campaign_id: int, filters: Query[AttemptFilters]) -> dict[str, Any]:
    user = _user(request)
    campaign = selectors.campaign_get(user, campaign_id)
    page = selectors.attempts_page(user, campaign, cursor=cursor_unsign(filters.cursor, "attempts"),
                                   size=filters.limit)
    counts = selectors.campaign_counts(user, [campaign.pk]).get(campaign.pk, {})
    return {**_campaign_out(campaign, counts), "attempts": [_attempt_out(a) for a in page.items],
            "next_cursor": cursor_sign(page.next_cursor, "attempts")}


class RateOut(Schema):
    numerator: int
    denominator: int
    rate: float | None


class ReasonRateOut(RateOut):
    reason: str


class WinbackRatesOut(Schema):
    start: date
    end: date
    winback: RateOut
    prospect: RateOut
    by_reason: list[ReasonRateOut]
    reference_winback: float
    reference_prospect: float


def _rate(rate: selectors.Rate) -> dict[str, Any]:
    value = rate.value
    return {"numerator": rate.numerator, "denominator": rate.denominator,
            "rate": None if value is None else float(value)}


@router.get("/retention/winback/rates", response={200: WinbackRatesOut, **ERROR_RESPONSES}, tags=["win-back"],
            summary="Win-back success rate beside the new-prospect conversion rate, overall and by reason class")
def rates(request: HttpRequest, days: Annotated[int, Field(ge=1, le=3650)] = 365) -> dict[str, Any]:
    end = business_today()
    found = selectors.rates(_user(request), start=end - timedelta(days=days - 1), end=end)
    return {"start": found.start, "end": found.end, "winback": _rate(found.winback), "prospect": _rate(found.prospect),
            "by_reason": [{"reason": key, **_rate(rate)} for key, _label, rate in found.by_reason],
            "reference_winback": float(found.reference_winback),
            "reference_prospect": float(found.reference_prospect)}
