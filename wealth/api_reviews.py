"""The asset reviews in the REST API: a customer's reviews, one review with its lines and their
changes, and starting a review. Scoped like the pages (404 out of scope); amounts are "******" for
the roles that see assets masked; every read of a review is in the access log (source "api")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status

from accounts.models import User
from audit.models import AccessAction
from core.api import ERROR_RESPONSES, InSchema
from core.masking import AMOUNT_MASK
from customers.records.access import customer_or_404
from wealth import selectors_reviews as selectors
from wealth import services_reviews as services
from wealth.models import AssetReview

router = Router()
TAGS = ["asset reviews"]


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class ReviewOut(Schema):
    id: int
    customer: int
    reviewed_on: date
    currency: str
    assets: str = Field(description='Decimal text, or "******" for roles that see assets masked.')
    liabilities: str
    net_worth: str
    risk_preference: str
    notes: str
    next_steps: str
    next_review_on: date | None
    created_by: int | None


class ReviewLineOut(Schema):
    holding: int
    asset_class: str
    product_name: str
    institution: str
    held_with_us: bool
    risk_level: str
    amount: str | None = Field(description="None for a holding closed since the previous review.")
    currency: str
    converted_amount: str | None
    movement: str = Field(description="new, closed, up, down or unchanged, since the previous review.")
    change: str = Field(description="In the review's currency (the previous value converted).")
    share: str | None = Field(description="Change / previous value (0.125 = +12.5 %); none for a new line.")
    effect: str = Field(description="better, worse or same for net worth (a liability going down is better).")


class ReviewDetailOut(ReviewOut):
    previous_review: int | None
    risk_mismatch: bool
    allocation: dict[str, str] = Field(description="Asset class → share of assets (0–1).")
    risk_mix: dict[str, str]
    lines: list[ReviewLineOut]


class ReviewStartIn(InSchema):
    reviewed_on: date | None = Field(None, description="The review's day (default today; not in the future).")
    notes: str = Field("", max_length=20_000)
    next_steps: str = Field("", max_length=20_000)
    next_review_on: date | None = None


def _amount(value: Decimal | None, masked: bool) -> str | None:
    if value is None:
        return None
    return AMOUNT_MASK if masked else str(value)


def _review_out(review: AssetReview, masked: bool) -> dict[str, Any]:
    return {
        "id": review.pk, "customer": review.customer_id, "reviewed_on": review.reviewed_on,
        "currency": review.currency, "assets": _amount(review.assets, masked),
        "liabilities": _amount(review.liabilities, masked), "net_worth": _amount(review.net_worth, masked),
        "risk_preference": review.risk_preference, "notes": review.notes, "next_steps": review.next_steps,
        "next_review_on": review.next_review_on, "created_by": review.created_by_id,
    }


@router.get("/customers/{int:customer_id}/reviews", response={200: list[ReviewOut], **ERROR_RESPONSES}, tags=TAGS,
            summary="List a customer's asset reviews")
def review_list(request: HttpRequest, customer_id: int) -> list[dict[str, Any]]:
    """Newest first."""
    user = _user(request)
    customer = customer_or_404(user, customer_id)
    masked = selectors.amounts_masked(user)
    return [_review_out(r, masked) for r in selectors.reviews_of(user=user, customer_id=customer.pk)]


@router.post("/customers/{int:customer_id}/reviews", response={201: ReviewDetailOut, **ERROR_RESPONSES}, tags=TAGS,
             summary="Start an asset review (snapshot of every holding)")
def review_start(request: HttpRequest, customer_id: int, payload: ReviewStartIn) -> Any:
    user = _user(request)
    customer = customer_or_404(user, customer_id)
    review = services.review_start(actor=user, customer_id=customer.pk, **payload.model_dump())
    return Status(201, _detail(request, review.pk))


@router.get("/reviews/{int:review_id}", response={200: ReviewDetailOut, **ERROR_RESPONSES}, tags=TAGS,
            summary="Read an asset review with its lines and their changes")
def review_detail(request: HttpRequest, review_id: int) -> dict[str, Any]:
    return _detail(request, review_id)


def _detail(request: HttpRequest, review_id: int) -> dict[str, Any]:
    user = _user(request)
    try:
        review = selectors.review_read(user, review_id)
    except AssetReview.DoesNotExist as exc:
        raise Http404 from exc
    page = selectors.review_page(user=user, review=review)
    services.review_access_record(user=user, review=review, action=AccessAction.VIEW, what="api")
    masked = page.masked
    out = _review_out(review, masked)
    lines = []
    for line, change in page.rows:
        source = change.current or change.previous
        assert source is not None
        lines.append({
            "holding": change.holding_id, "asset_class": source.asset_class,
            "product_name": line.product_name if line else "", "institution": line.institution if line else "",
            "held_with_us": line.held_with_us if line else False, "risk_level": line.risk_level if line else "",
            "amount": _amount(line.amount if line else None, masked), "currency": source.currency,
            "converted_amount": _amount(line.converted_amount if line else None, masked),
            "movement": str(change.movement), "change": _amount(change.change, masked) or "",
            "share": None if change.share is None or masked else str(change.share), "effect": str(change.effect),
        })
    out.update(
        previous_review=page.previous.pk if page.previous else None, risk_mismatch=page.risk.mismatch,
        allocation={} if masked else {a["key"]: str(a["share"].quantize(Decimal("0.0001"))) for a in page.allocation},
        risk_mix={r["level"]: str(r["share"].quantize(Decimal("0.0001"))) for r in page.risk_mix},
        lines=lines,
    )
    return out
