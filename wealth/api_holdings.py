"""The holdings API: holdings on the records layer (`/holdings`, the customer named in the body and
as a filter), a customer's computed wealth (`/customers/{id}/wealth`) and the FX rates (`/fx-rates`:
every caller reads, administrators add). A role that sees assets masked reads every amount as
"******" and no allocation (shares are derived from the amounts)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from accounts.models import User
from core import masking
from core.api import (
    ERROR_RESPONSES,
    ApiValidationError,
    DecimalIn,
    DecimalText,
    InSchema,
    cursor_page_schema,
    cursor_unsign,
)
from customers.records.access import customer_or_404
from customers.records.api import RecordApi, page_out
from wealth import selectors_holdings as selectors
from wealth import services_holdings as services
from wealth.choices import CURRENCIES, AssetClass, RiskLevel
from wealth.models import FxRate, Holding
from wealth.valuation import MissingRate

router = Router()

Money = Annotated[Decimal, DecimalIn(max_digits=18, decimal_places=2, ge=0)]
Rate = Annotated[Decimal, DecimalIn(max_digits=18, decimal_places=8, gt=0)]
CurrencyChoice = Literal[tuple(code for code, _label in CURRENCIES)]  # type: ignore[valid-type]
ClassChoice = Literal[tuple(AssetClass.values)]  # type: ignore[valid-type]
RiskChoice = Literal[("", *RiskLevel.values)]  # type: ignore[valid-type]
MASKED_AMOUNT = 'A decimal as text; "******" where your role may not see assets.'


def _str(max_length: int, min_length: int = 0) -> Any:
    return Annotated[str, Field(max_length=max_length, min_length=min_length)]


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


# --- Holdings ------------------------------------------------------------------------------------

class HoldingIn(InSchema):
    customer: int = Field(description="Customer id.")
    asset_class: ClassChoice  # type: ignore[valid-type]
    product_name: _str(200, 1)  # type: ignore[valid-type]
    product_code: _str(64) = ""  # type: ignore[valid-type]
    held_with_us: bool = True
    institution: _str(200) = Field("", description="Required when not held with us.")  # type: ignore[valid-type]
    amount: Money = Field(description="Market value; for a loan, the balance owed (positive).")
    currency: CurrencyChoice = "CNY"  # type: ignore[valid-type]
    started_on: date | None = None
    matures_on: date | None = None
    risk_level: RiskChoice = ""  # type: ignore[valid-type]
    notes: _str(255) = ""  # type: ignore[valid-type]
    external_id: _str(64) | None = None  # type: ignore[valid-type]


class HoldingPatchIn(InSchema):
    asset_class: ClassChoice | None = None  # type: ignore[valid-type]
    product_name: _str(200, 1) | None = None  # type: ignore[valid-type]
    product_code: _str(64) | None = None  # type: ignore[valid-type]
    held_with_us: bool | None = None
    institution: _str(200) | None = None  # type: ignore[valid-type]
    amount: Money | None = None
    currency: CurrencyChoice | None = None  # type: ignore[valid-type]
    started_on: date | None = None
    matures_on: date | None = None
    risk_level: RiskChoice | None = None  # type: ignore[valid-type]
    notes: _str(255) | None = None  # type: ignore[valid-type]
    external_id: _str(64) | None = None  # type: ignore[valid-type]


class HoldingOut(Schema):
    id: int
    customer: int
    asset_class: str
    product_name: str
    product_code: str
    held_with_us: bool
    institution: str
    amount: str = Field(description=MASKED_AMOUNT)
    currency: str
    started_on: date | None
    matures_on: date | None
    risk_level: str
    notes: str
    external_id: str | None
    created_by: int | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_customer(obj: Holding) -> int:
        return obj.customer_id

    @staticmethod
    def resolve_amount(obj: Holding) -> str:
        return str(obj.amount)

    @staticmethod
    def resolve_created_by(obj: Holding) -> int | None:
        return obj.created_by_id


HoldingPage = cursor_page_schema(HoldingOut, "HoldingPage")


class HoldingFilters(Schema):
    customer: int | None = None
    asset_class: ClassChoice | None = None  # type: ignore[valid-type]
    currency: CurrencyChoice | None = None  # type: ignore[valid-type]
    risk_level: RiskChoice | None = None  # type: ignore[valid-type]
    held_with_us: bool | None = None
    matures_from: date | None = None
    matures_to: date | None = None
    q: _str(100) | None = None  # type: ignore[valid-type]
    cursor: _str(1000) | None = None  # type: ignore[valid-type]
    limit: Annotated[int, Field(ge=1, le=200)] = 50


def _masked_list(*, user: User, filters: Any, cursor: str | None = None, size: int = 50) -> Any:
    page = selectors.holding_list(user=user, filters=filters, cursor=cursor, size=size)
    if masking.masks(user, Holding, "amount"):
        page.items = [masking.mask_instance(user, h) for h in page.items]
    return page


def _masked_read(user: User, pk: int) -> Holding:
    return masking.mask_instance(user, selectors.holding_detail(user=user, holding_id=pk))


RecordApi(
    kind=services.HOLDINGS, path="/holdings", name="holding", module=__name__, tags=["wealth"],
    id_param="holding_id", out=HoldingOut, page=HoldingPage, filters=HoldingFilters, list_selector=_masked_list,
    create_in=HoldingIn, patch_in=HoldingPatchIn, nullable=("external_id", "started_on", "matures_on"),
    read=_masked_read,
    summaries={"list": "List holdings", "create": "Record a holding", "detail": "Read a holding",
               "update": "Change a holding", "delete": "Delete a holding"},
).register(router)


# --- A customer's wealth -------------------------------------------------------------------------

class ClassAmountOut(Schema):
    asset_class: str
    amount: str = Field(description=MASKED_AMOUNT)
    share: str | None = Field(description="Share of total assets (0–1) as text; null for a liability.")
    liability: bool


class WealthOut(Schema):
    customer: int
    currency: str = Field(description="The customer's reporting currency.")
    on: date = Field(description="The day whose FX rates were used.")
    masked: bool
    assets: str = Field(description=MASKED_AMOUNT)
    liabilities: str = Field(description=MASKED_AMOUNT)
    net_worth: str = Field(description=MASKED_AMOUNT)
    by_class: list[ClassAmountOut] = Field(description="Empty where your role may not see assets.")
    risk_mix: dict[str, str] = Field(description='Share of assets by risk level ("" unrated); empty when masked.')


@router.get("/customers/{int:customer_id}/wealth", response={200: WealthOut, **ERROR_RESPONSES}, tags=["wealth"],
            summary="A customer's total assets, liabilities, net worth and allocation by class",
            description="Computed from the customer's holdings in the reporting currency with the stored FX "
                        "rates valid on `on` (default today). 409 when a rate is missing.")
def customer_wealth(request: HttpRequest, customer_id: int, on: date | None = None) -> dict[str, Any]:
    user = _user(request)
    customer = customer_or_404(user, customer_id, "view")
    try:
        summary = selectors.customer_wealth(customer=customer, on=on)
    except MissingRate as missing:
        raise HttpError(409, _("No FX rate converts %(base)s into %(quote)s: an administrator can add it.")
                        % {"base": missing.base, "quote": missing.quote}) from missing
    out: dict[str, Any] = {"customer": customer.pk, "currency": summary.currency, "on": on or selectors.today()}
    if masking.masks(user, Holding, "amount"):
        mask = masking.AMOUNT_MASK
        return {**out, "masked": True, "assets": mask, "liabilities": mask, "net_worth": mask, "by_class": [],
                "risk_mix": {}}
    by_class = [
        {"asset_class": cls, "amount": str(amount), "liability": cls not in summary.allocation,
         "share": None if cls not in summary.allocation else str(round(summary.allocation[cls], 4))}
        for cls, amount in sorted(summary.by_class.items(), key=lambda item: -item[1])
    ]
    return {**out, "masked": False, "assets": str(summary.assets), "liabilities": str(summary.liabilities),
            "net_worth": str(summary.net_worth), "by_class": by_class,
            "risk_mix": {level: str(round(share, 4)) for level, share in summary.risk_mix.items()}}


# --- FX rates ------------------------------------------------------------------------------------

class FxRateIn(InSchema):
    base: CurrencyChoice  # type: ignore[valid-type]
    quote: CurrencyChoice  # type: ignore[valid-type]
    rate: Rate = Field(description="How many units of `quote` one unit of `base` buys.")
    valid_from: date


class FxRateOut(Schema):
    id: int
    base: str
    quote: str
    rate: DecimalText
    valid_from: date
    created_by: int | None
    created_at: datetime

    @staticmethod
    def resolve_created_by(obj: FxRate) -> int | None:
        return obj.created_by_id


FxRatePage = cursor_page_schema(FxRateOut, "FxRatePage")


class FxRateFilters(Schema):
    base: CurrencyChoice | None = None  # type: ignore[valid-type]
    quote: CurrencyChoice | None = None  # type: ignore[valid-type]
    cursor: _str(1000) | None = None  # type: ignore[valid-type]
    limit: Annotated[int, Field(ge=1, le=200)] = 100


@router.get("/fx-rates", response={200: FxRatePage, **ERROR_RESPONSES}, tags=["wealth"], summary="List FX rates")
def fx_rate_list(request: HttpRequest, filters: Query[FxRateFilters]) -> dict[str, Any]:
    values = filters.model_dump()
    cursor = cursor_unsign(values.pop("cursor"), "fx-rates")
    size = values.pop("limit")
    try:
        page = selectors.fx_rate_list(cursor=cursor, size=size, filters=values)
    except ValidationError as exc:
        raise ApiValidationError.field(["query", "cursor"], str(exc.messages[0]), "invalid_cursor") from exc
    return page_out(page, "fx-rates")


@router.post("/fx-rates", response={201: FxRateOut, **ERROR_RESPONSES}, tags=["wealth"],
             summary="Record an FX rate (administrators)")
def fx_rate_create(request: HttpRequest, payload: FxRateIn) -> Status:
    return Status(201, services.fx_rate_create(actor=_user(request), data=payload.model_dump()))
