"""The predicted-value part of the REST API: a customer's scores, the call list, the latest run.

Same rules as the pages: scores are read through the permission-scoped queryset, so a customer
outside the caller's scope is a 404, and the call list holds only customers the caller may see.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from accounts.models import User
from core.api import ERROR_RESPONSES, ApiValidationError, cursor_page_schema, cursor_sign, cursor_unsign
from customers.call_reasons import more_reasons
from customers.models import Customer
from customers.selectors import customers_visible
from insights import selectors
from insights.display import factors_display, products_display
from insights.models import CustomerScore
from insights.reasons import reason_text

router = Router()


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]  # set by django-ninja: the token's user (accounts.api)
    return user


class NextBestProductOut(Schema):
    product_id: int
    name: str
    basis: str = Field("", description="association, segment or popular")
    score: float | None = None
    reason: str = Field("", description="Why this product, in the request's language.")


class FactorOut(Schema):
    feature: str = Field(description="The feature's key (see docs/analytics.md).")
    direction: str | None = Field(None, description="up: this value raises the risk; down: lowers it.")
    value: float | None = None
    typical: float | None = None
    text: str = Field(description="The factor in one line, in the request's language.")


class ScoreOut(Schema):
    customer: int
    customer_name: str
    owner: int
    as_of: date = Field(description="The date the scores were computed for (the run's as-of date).")
    run: int
    frequency: int = Field(description="Repeat purchases: days with a paid order, minus one.")
    recency_weeks: float = Field(description="Weeks from the first to the last purchase day.")
    age_weeks: float = Field(description="Weeks from the first purchase day to the as-of date.")
    first_purchase: date
    last_purchase: date
    mean_order_value: float | None = Field(description="Mean revenue of the repeat purchase days.")
    expected_purchases_30: float
    expected_purchases_90: float
    p_alive: float = Field(description="BG/NBD probability that the customer is still active. Not a churn score.")
    purchase_likelihood: float = Field(description="Probability of at least one purchase in the run's period.")
    period_days: int
    expected_order_value: float
    clv: float = Field(description="Expected discounted margin over the run's horizon.")
    horizon_months: int
    churn_risk: float | None
    churn_factors: list[FactorOut]
    next_products: list[NextBestProductOut]
    call_score: float = Field(description="Purchase likelihood × expected margin of a purchase.")
    reason: str = Field(description="Why to call, in the request's language.")
    more_reasons: list[str] = Field(default_factory=list, description=(
        "Further reasons other apps know (e.g. insurance coverage gaps), in the request's language; "
        "filled on the call list only."))

    @staticmethod
    def resolve_customer(obj: CustomerScore) -> int:
        return obj.customer_id

    @staticmethod
    def resolve_customer_name(obj: CustomerScore) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_owner(obj: CustomerScore) -> int:
        return obj.customer.owner_id

    @staticmethod
    def resolve_as_of(obj: CustomerScore) -> date:
        return obj.run.as_of

    @staticmethod
    def resolve_run(obj: CustomerScore) -> int:
        return obj.run_id

    @staticmethod
    def resolve_period_days(obj: CustomerScore) -> int:
        return obj.run.period_days

    @staticmethod
    def resolve_horizon_months(obj: CustomerScore) -> int:
        return obj.run.horizon_months

    @staticmethod
    def resolve_reason(obj: CustomerScore) -> str:
        return reason_text(obj.reason_key, obj.reason_params)

    @staticmethod
    def resolve_churn_factors(obj: CustomerScore) -> list[dict[str, Any]]:
        texts = factors_display(obj.churn_factors)
        return [{**f, "text": t} for f, t in zip(obj.churn_factors or [], texts, strict=True)]

    @staticmethod
    def resolve_next_products(obj: CustomerScore) -> list[dict[str, Any]]:
        shown = products_display(obj.next_products)
        return [{**p, "reason": d["reason"]} for p, d in zip(obj.next_products or [], shown, strict=True)]


ScorePage = cursor_page_schema(ScoreOut, "ScorePage")


class CallListFilters(Schema):
    owner: int | None = Field(None, description="Only customers owned by this user.")
    cursor: Annotated[str, Field(max_length=1000)] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class RunOut(Schema):
    id: int
    as_of: date
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    duration_seconds: float | None
    customers_scored: int
    horizon_months: int
    monthly_discount_rate: float
    period_days: int
    time_unit: str
    bgnbd: dict[str, Any]
    gamma_gamma: dict[str, Any]
    holdout: dict[str, Any]
    churn: dict[str, Any]
    products: dict[str, Any]


@router.get("/customers/{int:customer_id}/scores", response={200: ScoreOut, **ERROR_RESPONSES},
            tags=["insights"], summary="A customer's predicted value")
def customer_scores(request: HttpRequest, customer_id: int) -> CustomerScore:
    """CLV, purchase likelihood, P(alive), churn risk and next best products of one customer, from
    the latest scoring run. 404 when the customer is not yours to see or has not been scored."""
    user = _user(request)
    score = (
        selectors.scores_visible(user).select_related("run", "customer").filter(customer_id=customer_id).first()
    )
    if score is None:
        if not customers_visible(user).filter(pk=customer_id).exists():
            raise Customer.DoesNotExist
        raise CustomerScore.DoesNotExist
    return score


@router.get("/call-list", response={200: ScorePage, **ERROR_RESPONSES}, tags=["insights"],
            summary="The call list")
def call_list(request: HttpRequest, filters: Query[CallListFilters]) -> dict[str, Any]:
    """The customers you may see, best call first (call score descending), one page at a time."""
    values = filters.model_dump()
    cursor = cursor_unsign(values["cursor"], "call-list")
    try:
        page = selectors.call_list_page(user=_user(request), owner_id=values["owner"], cursor=cursor,
                                        size=values["limit"])
    except ValidationError as exc:
        raise ApiValidationError.field(["query", "cursor"], str(exc.messages[0]), "invalid_cursor") from exc
    more = more_reasons(_user(request), [s.customer_id for s in page.items])
    for score in page.items:
        score.more_reasons = more.get(score.customer_id, [])
    return {"items": page.items, "next_cursor": cursor_sign(page.next_cursor, "call-list"),
            "previous_cursor": cursor_sign(page.previous_cursor, "call-list")}


@router.get("/score-runs/latest", response={200: RunOut, **ERROR_RESPONSES}, tags=["insights"],
            summary="The latest scoring run")
def score_run_latest(request: HttpRequest) -> Any:
    """The latest finished scoring run: its settings and, for roles that see every customer (the
    models are fitted on all of them), the fitted parameters and diagnostics; others get them
    empty, as on the value page. 404 before the first run."""
    run = selectors.score_run_latest()
    if run is None:
        raise CustomerScore.DoesNotExist
    if not _user(request).sees_all_customers:
        run.bgnbd = run.gamma_gamma = run.holdout = run.churn = run.products = {}
    return run
