"""The churn part of the REST API: the churn figures and the cohort table the churn page shows, in the caller's
scope (retention/selectors_churn.py: the company's figures for roles that see every customer, else their team's)."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from accounts.models import User
from core.api import ERROR_RESPONSES
from retention import selectors_churn as sel

router = Router()

Dimension = Literal["team", "owner", "region", "channel", "abc", "rfm", "stage", "reason"]


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]  # set by django-ninja: the token's user
    return user


class PeriodOut(Schema):
    period: str = Field(description="2026-11 or 2026 Q4.")
    start: date
    active_start: int | None = Field(description="Customers active at the period's start (null: no rate here).")
    lost: int = Field(description="Losses in the period (a customer lost twice counts twice).")
    lost_counted: int = Field(description="Of them, customers active at the start: the rate's numerator.")
    rate: float | None = Field(description="lost_counted ÷ active_start.")
    returned_same: int = Field(description="Losses whose customer bought again before the period ended.")
    margin_lost: Decimal = Field(description="The lost customers' margin in the 12 months up to their last purchase.")
    clv_lost: float = Field(description="Their predicted lifetime value when the loss was recorded.")


class ChurnRatesOut(Schema):
    as_of: date | None
    periods: list[PeriodOut]


class RatesQuery(Schema):
    period: Literal["month", "quarter"] = "month"


class BreakdownRowOut(Schema):
    key: str
    label: str
    figures: PeriodOut


class BreakdownOut(Schema):
    dimension: str
    period: str | None
    with_rate: bool
    note: str
    rows: list[BreakdownRowOut]


class BreakdownQuery(Schema):
    period: Literal["month", "quarter"] = "month"
    by: Dimension = "reason"
    at: str | None = Field(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                           description="The period's first month, YYYY-MM (default: the latest complete period).")


class CohortOut(Schema):
    cohort: str = Field(description="First purchase month, YYYY-MM.")
    customers: int
    active: list[float] = Field(description="Share still active at the end of month k = 0, 1, … after it.")


class CohortFitOut(Schema):
    year: int
    customers: int
    never_lost: list[int] = Field(description="Customers never lost after 0, 1, 2 … whole years.")
    alpha: float | None
    beta: float | None
    log_likelihood: float | None
    expected_lifetime_years: float | None = Field(description="Null when unbounded (α ≤ 1) or not fitted.")
    projection: list[float] = Field(description="sBG survival S(t) for t = 0 … years + 3.")
    note: str


class CohortsOut(Schema):
    as_of: date | None
    visible: bool = Field(description="False for roles that do not see every customer (the cohorts are company-wide).")
    cohorts: list[CohortOut]
    fits: list[CohortFitOut]


def _period(f: sel.PeriodFigures) -> dict[str, Any]:
    return {"period": f.label, "start": f.start, "active_start": f.active_start, "lost": f.lost,
            "lost_counted": f.lost_counted, "rate": f.rate, "returned_same": f.returned_same,
            "margin_lost": f.margin_lost, "clv_lost": f.clv_lost}


def _as_of() -> date | None:
    refresh = sel.last_refresh()
    return refresh.as_of if refresh else None


@router.get("/churn/rates", response={200: ChurnRatesOut, **ERROR_RESPONSES}, tags=["retention"],
            summary="Churn rate by month or quarter")
def churn_rates(request: HttpRequest, query: Query[RatesQuery]) -> dict[str, Any]:
    """Customers lost in each period ÷ customers active at its start (docs/churn.md), oldest first; the current,
    incomplete period last."""
    figures = sel.churn_rates(scope=sel.churn_scope(_user(request)), period=query.period)
    return {"as_of": _as_of(), "periods": [_period(f) for f in figures]}


@router.get("/churn/breakdown", response={200: BreakdownOut, **ERROR_RESPONSES}, tags=["retention"],
            summary="Churn in one period by team, owner, region, channel, segment before the loss, stage or reason")
def churn_breakdown(request: HttpRequest, query: Query[BreakdownQuery]) -> dict[str, Any]:
    at = None
    if query.at:
        year, month = (int(part) for part in query.at.split("-"))
        at = year * 12 + month - 1
    breakdown, chosen = sel.churn_breakdown(scope=sel.churn_scope(_user(request)), period=query.period,
                                            dimension=query.by, at=at)
    return {"dimension": breakdown.dimension, "with_rate": breakdown.with_rate, "note": breakdown.note,
            "period": sel.period_label(chosen, query.period) if chosen is not None else None,
            "rows": [{"key": r["key"], "label": r["label"], "figures": _period(r["figures"])} for r in breakdown.rows]}


@router.get("/churn/cohorts", response={200: CohortsOut, **ERROR_RESPONSES}, tags=["retention"],
            summary="Cohort retention and the sBG fits")
def churn_cohorts(request: HttpRequest) -> dict[str, Any]:
    """The triangle by first-purchase month (last 24 months) and the sBG fit per first-purchase year."""
    user = _user(request)
    if not user.sees_all_customers:
        return {"as_of": _as_of(), "visible": False, "cohorts": [], "fits": []}
    cohorts = [{"cohort": c.label, "customers": c.size, "active": c.active} for c in sel.cohort_table()]
    fits = []
    for f in sel.cohort_fits():
        lifetime = f.fit.expected_lifetime() if f.fit else None
        fits.append({"year": f.year, "customers": f.size, "never_lost": f.never_lost,
                     "alpha": f.fit.alpha if f.fit else None, "beta": f.fit.beta if f.fit else None,
                     "log_likelihood": f.fit.log_likelihood if f.fit else None,
                     "expected_lifetime_years": lifetime if lifetime is not None and math.isfinite(lifetime) else None,
                     "projection": f.projected, "note": f.note})
    return {"as_of": _as_of(), "visible": True, "cohorts": cohorts, "fits": fits}
