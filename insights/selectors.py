"""Reads of the stored scores. Every read of customer scores starts from the permission-scoped
queryset (`CustomerScore.objects.restrict(user, "view")`: the customers' own scope rule), so a
user only ever sees scores, lists and aggregates of the customers they may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum

from accounts.models import User
from core.pagination import KeysetPage, keyset_page
from insights.models import CustomerScore, RunStatus, ScoreRun

CALL_LIST_ORDERING = ["-call_score", "-pk"]
CALL_LIST_SIZE = 50
AT_RISK_SHOWN = 20
DECILES = 10


def scores_visible(user: User) -> QuerySet[CustomerScore]:
    """Scores of the customers this user may see."""
    return CustomerScore.objects.restrict(user, "view")


def score_run_latest() -> ScoreRun | None:
    """The latest finished run (the one the stored scores come from)."""
    return ScoreRun.objects.filter(status=RunStatus.DONE).order_by("-finished_at", "-id").first()


def score_run_newest() -> ScoreRun | None:
    """The newest run of any status (to show a queued, running or failed one)."""
    return ScoreRun.objects.order_by("-created_at", "-id").first()


def score_run_get(*, run_id: int) -> ScoreRun:
    """One run (ScoreRun.DoesNotExist otherwise). Runs hold model parameters and counts, no customer data."""
    return ScoreRun.objects.get(pk=run_id)


def customer_score_get(*, user: User, customer_id: int) -> CustomerScore | None:
    """The customer's scores with their run, or None when the customer is not scored (or not
    visible: callers that must answer 404 check visibility first)."""
    return scores_visible(user).select_related("run").filter(customer_id=customer_id).first()


def call_list_owners(user: User) -> QuerySet[User]:
    """Whose customers the call list can be narrowed to: the user's team (all users for roles that
    see every customer), active users only; the user alone when they have no team."""
    qs = User.objects.filter(is_active=True)
    if not user.sees_all_customers:
        qs = qs.filter(Q(pk=user.pk) | Q(team_id=user.team_id)) if user.team_id else qs.filter(pk=user.pk)
    return qs.order_by("first_name", "last_name", "username")


def call_list_page(
    *, user: User, owner_id: int | None = None, cursor: str | None = None, size: int = CALL_LIST_SIZE,
) -> KeysetPage:
    """One page of the call list: the visible customers' scores, best call first (call score =
    purchase likelihood × expected margin of a purchase), with customer and owner in the same
    query. Raises ValidationError on a bad cursor."""
    qs = scores_visible(user).select_related("customer", "customer__owner", "run")
    if owner_id is not None:
        qs = qs.filter(customer__owner_id=owner_id)
    return keyset_page(qs, ordering=CALL_LIST_ORDERING, cursor=cursor, size=size)


def value_totals(user: User) -> dict[str, Any]:
    """Count, total and mean CLV, expected purchases in 30 days, customers with a churn risk, over the
    visible scored customers, in one query."""
    row = scores_visible(user).aggregate(
        customers=Count("pk"), clv=Sum("clv"), expected_30=Sum("expected_purchases_30"),
        with_churn=Count("pk", filter=Q(churn_risk__isnull=False)), value_at_risk=Sum("value_at_risk"),
    )
    row["mean_clv"] = (row["clv"] or 0) / row["customers"] if row["customers"] else None
    return row


@dataclass
class Decile:
    tile: int  # 1 = the lowest tenth by CLV
    customers: int
    total: float
    low: float
    high: float
    share: float  # of the visible customers' total CLV, 0–1


def value_deciles(user: User) -> list[Decile]:
    """The visible customers in ten equal groups by CLV, lowest first: how many, their total CLV and
    range, and their share of the total. One query (NTILE over the scoped rows)."""
    inner_sql, params = scores_visible(user).values("clv").order_by().query.sql_with_params()
    # The inner query is Django's (scoped, parameterised); NTILE and GROUP BY are portable SQL.
    sql = f"""
        SELECT t.tile, COUNT(*), SUM(t.clv), MIN(t.clv), MAX(t.clv)
        FROM (SELECT s.clv, NTILE({DECILES}) OVER (ORDER BY s.clv) AS tile FROM ({inner_sql}) s) t
        GROUP BY t.tile ORDER BY t.tile
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    grand = sum(float(r[2] or 0) for r in rows)
    return [
        Decile(tile=int(r[0]), customers=int(r[1]), total=float(r[2] or 0), low=float(r[3]), high=float(r[4]),
               share=(float(r[2] or 0) / grand) if grand > 0 else 0.0)
        for r in rows
    ]


def value_at_risk_list(user: User, limit: int = AT_RISK_SHOWN) -> list[CustomerScore]:
    """The visible customers with the most value at stake (churn risk × CLV), highest first."""
    return list(
        scores_visible(user).filter(value_at_risk__isnull=False).select_related("customer", "customer__owner")
        .order_by("-value_at_risk", "-pk")[:limit]
    )

