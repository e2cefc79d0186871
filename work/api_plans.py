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
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from accounts.models import User
from core.api import ERROR_RESPONSES, InSchema
from work import selectors_plans as sel
from work import services_plans as services
from work.models import Target

router = Router(tags=["plans"])
MONTH = re.compile(r"\d{4}-\d{2}")


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class TargetOut(Schema):
    id: int
    month: str = Field(description="YYYY-MM.")
    user: int | None = Field(description="User id (a person's target) or null.")
    team: int | None = Field(description="Team id (a team's target) or null.")
    metric: str
    value: Decimal


class TargetIn(InSchema):
    month: str = Field(max_length=7, description="YYYY-MM.")
    user: int | None = Field(None, description="User id: a person's target (give user or team).")
    team: int | None = Field(None, description="Team id: a team's target (give user or team).")
    metric: str = Field(max_length=40, description="A plan metric key (see /plan-progress).")
    value: Decimal = Field(ge=0)


class TargetValueIn(InSchema):
    value: Decimal = Field(ge=0)


class MonthQuery(Schema):
    month: str | None = Field(None, max_length=7, description="YYYY-MM; default: this month.")


class ProgressQuery(MonthQuery):
    team: int | None = Field(None, description="Team id; default: your team (managers), the first team "
                                               "(administrators), yourself alone (everyone else).")


class CellOut(Schema):
    metric: str
    label: str
    unit: str
    target: Decimal | None
    actual: Decimal
    completion: Decimal | None = Field(description="Percent of the target, or null without a target.")
    forecast: Decimal | None = Field(description="Month's end at the run rate: actual ÷ elapsed days × days.")


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


@router.put("/targets/{target_id}", response={200: TargetOut, **ERROR_RESPONSES})
def target_update(request: HttpRequest, target_id: int, body: TargetValueIn) -> dict[str, Any]:
    return _target_out(services.target_update(actor=_user(request), target_id=target_id, value=body.value))


@router.delete("/targets/{target_id}", response={204: None, **ERROR_RESPONSES})
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

