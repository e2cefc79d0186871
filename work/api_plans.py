"""The plan part of the REST API (营销过程管理): monthly targets (list for those who see them; create,
change, delete for managers and administrators), plan progress (target, actual, completion,
forecast), and the daily log (read; write one's own notes for today or yesterday).

Same rules as the pages (work.selectors_plans, work.services_plans): a user or team outside the
caller's reach is 404, as one that does not exist; a role that may not set targets is 403.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from accounts.models import User
from core.api import ERROR_RESPONSES, DecimalIn, DecimalText, InSchema
from work import selectors_plans as sel
from work import services_plans as services
from work.models import Target

router = Router(tags=["plans"])
MONTH = re.compile(r"\d{4}-\d{2}")


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


# A target: an amount or a count, two decimals, as the column keeps it (core.api's decimal rules).
TargetValue = Annotated[Decimal, DecimalIn(max_digits=16, decimal_places=2, ge=0)]


class TargetOut(Schema):
    id: int
    month: str = Field(description="YYYY-MM.")
    user: int | None = Field(description="User id (a person's target) or null.")
    team: int | None = Field(description="Team id (a team's target) or null.")
    metric: str
    value: DecimalText


class TargetIn(InSchema):
    month: str = Field(max_length=7, description="YYYY-MM.")
    user: int | None = Field(None, description="User id: a person's target (give user or team).")
    team: int | None = Field(None, description="Team id: a team's target (give user or team).")
    metric: str = Field(max_length=40, description="A plan metric key (see /plan-progress).")
    value: TargetValue


class TargetValueIn(InSchema):
    value: TargetValue


class MonthQuery(Schema):
    month: str | None = Field(None, max_length=7, description="YYYY-MM; default: this month.")


class ProgressQuery(MonthQuery):
    team: int | None = Field(None, description="Team id; default: your team (managers), the first team "
                                               "(administrators), yourself alone (everyone else).")


class CellOut(Schema):
    metric: str
    label: str
    unit: str
    target: DecimalText | None
    actual: DecimalText
    completion: DecimalText | None = Field(description="Percent of the target, or null without a target.")
    forecast: DecimalText | None = Field(description="Month's end at the run rate: actual ÷ elapsed days × days.")


class RowOut(Schema):
    label: str
    user: int | None
    team: int | None
    cells: list[CellOut]


class ProgressOut(Schema):
    month: str
    elapsed_days: int
    days: int
    rows: list[RowOut]


class LogEntryOut(Schema):
    at: str
    kind: str
    label: str
    customer: int | None = Field(description="Customer id, or null for a customer you may not see.")
    url: str


class DailyLogOut(Schema):
    user: int
    day: date
    notes: str
    editable: bool
    corrected_at: str | None
    entries: list[LogEntryOut]


class DailyLogQuery(Schema):
    day: date | None = Field(None, description="Default: today (business time zone).")
    user: int | None = Field(None, description="User id; default: you.")


class DailyLogIn(InSchema):
    day: date
    notes: str = Field(max_length=services.NOTES_MAX)


def _month(value: str | None) -> date:
    if not value:
        return sel.month_start(sel.business_today())
    try:
        if not MONTH.fullmatch(value):
            raise ValueError(value)
        return date(int(value[:4]), int(value[5:7]), 1)
    except ValueError as exc:
        raise ValidationError(_("“%(value)s” is not a valid month.") % {"value": value}) from exc


def _target_out(t: Target) -> dict[str, Any]:
    return {"id": t.pk, "month": f"{t.month:%Y-%m}", "user": t.user_id, "team": t.team_id, "metric": t.metric,
            "value": t.value}


@router.get("/targets", response={200: list[TargetOut], **ERROR_RESPONSES})
def target_list(request: HttpRequest, filters: Query[MonthQuery]) -> list[dict[str, Any]]:
    """The targets of one month that you may see (yours; your team's for managers; all for administrators)."""
    month = _month(filters.month)
    return [_target_out(t) for t in sel.targets_visible(_user(request)).filter(month=month)
            .order_by("team_id", "user_id", "metric", "pk")]


@router.post("/targets", response={201: TargetOut, **ERROR_RESPONSES})
def target_create(request: HttpRequest, body: TargetIn) -> Status:
    """Set a target (managers: their team and its members; administrators: everyone). Setting the
    same person's or team's metric again for the month changes it."""
    target = services.target_set(actor=_user(request), month=_month(body.month), metric=body.metric,
                                 value=body.value, user_id=body.user, team_id=body.team)
    return Status(201, _target_out(target))


@router.put("/targets/{int:target_id}", response={200: TargetOut, **ERROR_RESPONSES})
def target_update(request: HttpRequest, target_id: int, body: TargetValueIn) -> dict[str, Any]:
    return _target_out(services.target_update(actor=_user(request), target_id=target_id, value=body.value))


@router.delete("/targets/{int:target_id}", response={204: None, **ERROR_RESPONSES})
def target_delete(request: HttpRequest, target_id: int) -> Status:
    services.target_delete(actor=_user(request), target_id=target_id)
    return Status(204, None)


@router.get("/plan-progress", response={200: ProgressOut, **ERROR_RESPONSES})
def plan_progress(request: HttpRequest, filters: Query[ProgressQuery]) -> dict[str, Any]:
    """Target, actual so far, completion and forecast of every plan metric, per person and team."""
    viewer = _user(request)
    teams = list(sel.plan_teams(viewer))
    team = None
    users = [viewer]
    if teams:
        if filters.team is None:
            team = next((t for t in teams if t.pk == viewer.team_id), teams[0])
        else:
            team = next((t for t in teams if t.pk == filters.team), None)
            if team is None:
                raise ObjectDoesNotExist(_("No such team."))
        users = list(sel.plan_users(viewer).filter(team=team))
    elif filters.team is not None:
        raise ObjectDoesNotExist(_("No such team."))
    progress = sel.month_progress(viewer=viewer, month=_month(filters.month), users=users, team=team)
    return {"month": f"{progress.month:%Y-%m}", "elapsed_days": progress.elapsed_days, "days": progress.days,
            "rows": [{"label": r.label, "user": r.user.pk if r.user else None, "team": r.team.pk if r.team else None,
                      "cells": [{"metric": c.metric.key, "label": str(c.metric.label), "unit": c.metric.unit,
                                 "target": c.target, "actual": c.actual, "completion": c.completion,
                                 "forecast": c.forecast} for c in r.cells]}
                     for r in progress.rows]}


def _log_out(log: sel.DayLog) -> dict[str, Any]:
    return {"user": log.user.pk, "day": log.day, "notes": log.notes, "editable": log.editable,
            "corrected_at": log.corrected_at.isoformat() if log.corrected_at else None,  # type: ignore[attr-defined]
            "entries": [{"at": e.at.isoformat(), "kind": e.kind, "label": e.label, "customer": e.customer_id,
                         "url": e.url} for e in log.entries]}


@router.get("/daily-log", response={200: DailyLogOut, **ERROR_RESPONSES})
def daily_log(request: HttpRequest, filters: Query[DailyLogQuery]) -> dict[str, Any]:
    """One person's log of one day: what happened (orders, interactions, …) and their notes."""
    viewer = _user(request)
    user = viewer if filters.user is None else sel.plan_user(viewer, filters.user)
    if user is None:
        raise ObjectDoesNotExist(_("No such user."))
    return _log_out(sel.daily_logs(viewer=viewer, users=[user], day=filters.day or sel.business_today())[0])


@router.put("/daily-log", response={200: DailyLogOut, **ERROR_RESPONSES})
def daily_log_update(request: HttpRequest, body: DailyLogIn) -> dict[str, Any]:
    """Write your own notes of today or yesterday (older logs are locked: 400)."""
    viewer = _user(request)
    services.daily_log_save(actor=viewer, day=body.day, notes=body.notes)
    return _log_out(sel.daily_logs(viewer=viewer, users=[viewer], day=body.day)[0])



# --- the weekly plan (周计划) ------------------------------------------------------------------------

class PlanRowOut(Schema):
    customer: int | None = Field(description="Customer id, or null for a customer you may not see.")
    name: str
    source: str
    reason: str
    contacted: bool = Field(description="The plan's owner had a contact with the customer that week.")


class StateChangeOut(Schema):
    on: date
    customer: int
    name: str
    what: str


class SuggestionOut(Schema):
    customer: int
    name: str
    reason: str


class WeeklyPlanOut(Schema):
    user: int
    week: date = Field(description="The week's Monday.")
    editable: bool
    rows: list[PlanRowOut]
    changes: list[StateChangeOut]
    suggestions: list[SuggestionOut] = Field(description="Only in your own plan: customers to consider.")


class WeeklyPlanQuery(Schema):
    week: date | None = Field(None, description="Any day of the week; default: this week (business time zone).")
    user: int | None = Field(None, description="User id; default: you.")


class PlanEntryIn(InSchema):
    week: date = Field(description="Any day of the week (this week or a later one).")
    customer: int = Field(description="Customer id.")
    source: Annotated[str, Field(pattern="^(chosen|suggested)$")] = "chosen"
    reason: str = Field("", max_length=200)


class PlanEntryQuery(Schema):
    week: date | None = Field(None, description="Any day of the week (this week or a later one); default: this week.")
    customer: int = Field(description="Customer id.")


def _week_out(viewer: User, user: User, week: date) -> dict[str, Any]:
    view = sel.weekly_plan(viewer=viewer, user=user, week=sel.week_start(week))
    return {"user": user.pk, "week": view.week,
            "editable": user.pk == viewer.pk and view.week >= sel.week_start(sel.business_today()),
            "rows": [{"customer": r.customer_id, "name": r.name, "source": r.source, "reason": r.reason,
                      "contacted": r.done} for r in view.rows],
            "changes": [{"on": c.on, "customer": c.customer_id, "name": c.name, "what": c.what} for c in view.changes],
            "suggestions": [{"customer": s.customer_id, "name": s.customer_name, "reason": s.reason}
                            for s in view.suggestions]}


@router.get("/weekly-plan", response={200: WeeklyPlanOut, **ERROR_RESPONSES})
def weekly_plan(request: HttpRequest, filters: Query[WeeklyPlanQuery]) -> dict[str, Any]:
    """A person's plan of a week: the customers to contact (contacted or not), their customers' state
    changes that week, and — in your own plan — suggestions. Managers read their team's, admins all."""
    viewer = _user(request)
    user = viewer if filters.user is None else sel.plan_user(viewer, filters.user)
    if user is None:
        raise ObjectDoesNotExist(_("No such user."))
    return _week_out(viewer, user, filters.week or sel.business_today())


@router.post("/weekly-plan/entries", response={201: WeeklyPlanOut, **ERROR_RESPONSES})
def weekly_plan_add(request: HttpRequest, body: PlanEntryIn) -> Status:
    """Put a customer you may see on your own plan of this or a later week (once)."""
    viewer = _user(request)
    services.plan_entry_add(actor=viewer, week=body.week, customer_id=body.customer, source=body.source,
                            reason=body.reason)
    return Status(201, _week_out(viewer, viewer, body.week))


@router.delete("/weekly-plan/entries", response={200: WeeklyPlanOut, **ERROR_RESPONSES})
def weekly_plan_remove(request: HttpRequest, filters: Query[PlanEntryQuery]) -> dict[str, Any]:
    """Take a customer off your own plan of this or a later week."""
    viewer = _user(request)
    week = filters.week or sel.business_today()
    services.plan_entry_remove(actor=viewer, week=week, customer_id=filters.customer)
    return _week_out(viewer, viewer, week)
