"""Reads of holdings: a customer's computed wealth (totals in the reporting currency), the holdings
of a customer's card, the scoped keyset list of the API and exports, and the maturities coming up
for the home page. Scoped through the customer (`Holding.objects.restrict`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.pagination import KeysetPage, keyset_page
from customers.models import Customer
from wealth.choices import LIABILITY_CLASSES
from wealth.fx import rate_table_on
from wealth.models import FxRate, Holding
from wealth.valuation import MissingRate, Position, RateTable, WealthSummary, summarize

# The reporting currency when a customer has none recorded.
DEFAULT_CURRENCY = "CNY"
MATURITY_WINDOW_DAYS = 30
HOLDING_ORDERING = ["asset_class", "product_name", "id"]
# Plain equality filters of the holding list and API: name → lookup.
HOLDING_FILTERS: dict[str, str] = {
    "customer": "customer_id",
    "asset_class": "asset_class",
    "currency": "currency",
    "risk_level": "risk_level",
    "held_with_us": "held_with_us",
}


def reporting_currency(customer: Customer) -> str:
    return (customer.assets_currency or DEFAULT_CURRENCY).upper()


def positions_of(holdings: Any) -> list[Position]:
    """The valuation's view of holdings (model instances or dicts with the same keys)."""
    out = []
    for h in holdings:
        row: Mapping[str, Any] = h if isinstance(h, Mapping) else h.__dict__
        out.append(Position(row["asset_class"], row["amount"], row["currency"], row["risk_level"] or ""))
    return out


def summarize_holdings(holdings: Any, *, currency: str, on: date | None = None) -> WealthSummary:
    """Totals of `holdings` in `currency` with the rates valid on `on` (today by default). The
    stored rates are read only when a holding is in another currency. Raises MissingRate."""
    positions = positions_of(holdings)
    rates = RateTable({})
    if any(p.currency != currency for p in positions):
        rates = rate_table_on(on or timezone.localdate())
    return summarize(positions, currency=currency, rates=rates)


def customer_wealth(*, customer: Customer, on: date | None = None) -> WealthSummary:
    """The customer's total assets, liabilities, net worth, amounts by class, allocation and risk mix
    in the customer's reporting currency (`Customer.assets_currency`), with the FX rates valid on
    `on` (today by default). The positions are the customer's current (not deleted) holdings.

    The caller has already checked that the user sees `customer` (customer_or_404 and the like).
    Raises `wealth.valuation.MissingRate` when no stored rate converts a holding's currency: a total
    is never computed with a holding silently left out."""
    rows = Holding.objects.alive().filter(customer_id=customer.pk).values(
        "asset_class", "amount", "currency", "risk_level"
    )
    return summarize_holdings(rows, currency=reporting_currency(customer), on=on)


@dataclass(frozen=True)
class WealthView:
    """What the card's wealth tab shows: the summary, or the rate that is missing to compute it."""

    summary: WealthSummary | None
    missing: MissingRate | None
    currency: str


CARD_FIELDS = ("id", "asset_class", "product_name", "product_code", "held_with_us", "institution", "amount",
               "currency", "started_on", "matures_on", "risk_level", "notes")


def customer_holdings(*, user: User, customer_id: int) -> list[dict[str, Any]]:
    """Every current holding of a customer the user sees, in the card's order, as the card shows
    them (one query; rows, not instances: a customer may hold hundreds). Not masked: the caller
    computes the totals first, then masks (core.masking.mask_values)."""
    return list(
        Holding.objects.restrict(user, "view").filter(customer_id=customer_id).order_by(*HOLDING_ORDERING)
        .values(*CARD_FIELDS)
    )


def wealth_view(*, customer: Customer, holdings: Any, on: date | None = None) -> WealthView:
    """The summary of `holdings` (already read, e.g. by customer_holdings) for the card, with a
    missing rate reported instead of raised."""
    currency = reporting_currency(customer)
    try:
        return WealthView(summarize_holdings(holdings, currency=currency, on=on), None, currency)
    except MissingRate as missing:
        return WealthView(None, missing, currency)


def holding_filtered(user: User, filters: Mapping[str, Any], action: str = "view") -> QuerySet[Holding]:
    qs = Holding.objects.restrict(user, action)
    for key, lookup in HOLDING_FILTERS.items():
        if filters.get(key) not in (None, ""):
            qs = qs.filter(**{lookup: filters[key]})
    if filters.get("matures_from"):
        qs = qs.filter(matures_on__gte=filters["matures_from"])
    if filters.get("matures_to"):
        qs = qs.filter(matures_on__lte=filters["matures_to"])
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(product_name__icontains=q) | Q(product_code__istartswith=q) | Q(institution__icontains=q))
    return qs


def holding_list(*, user: User, filters: Mapping[str, Any], cursor: str | None = None, size: int = 50) -> KeysetPage:
    """A keyset page of the holdings the user sees (API), newest first."""
    qs = holding_filtered(user, filters).select_related("customer", "created_by")
    return keyset_page(qs, ordering=["-id"], cursor=cursor, size=size)


def holding_detail(*, user: User, holding_id: int) -> Holding:
    return Holding.objects.restrict(user, "view").select_related("customer", "created_by").get(pk=holding_id)


def maturities_due(*, user: User, today: date | None = None, days: int = MATURITY_WINDOW_DAYS,
                   limit: int = 10) -> list[Holding]:
    """Holdings of the user's own customers maturing from today to `days` days ahead, soonest
    first (a sales opportunity: the money is about to be free). "Own" is the customers the user
    owns — the home page is the owner's desk, not the team's. Walks the matures_on index."""
    start = today or timezone.localdate()
    return list(
        Holding.objects.restrict(user, "view")
        .filter(customer__owner_id=user.pk, matures_on__gte=start, matures_on__lte=start + timedelta(days=days))
        .exclude(asset_class__in=LIABILITY_CLASSES)
        .select_related("customer")
        .order_by("matures_on", "id")[:limit]
    )


def fx_rate_list(*, cursor: str | None = None, size: int = 100, filters: Mapping[str, Any] | None = None) -> KeysetPage:
    """The stored FX rates, by pair and newest first. Rates are reference data: every signed-in user
    may read them (the totals they see are computed with them)."""
    qs = FxRate.objects.select_related("created_by")
    for key in ("base", "quote"):
        if filters and filters.get(key):
            qs = qs.filter(**{key: filters[key]})
    return keyset_page(qs, ordering=["base", "quote", "-valid_from", "id"], cursor=cursor, size=size)
def today() -> date:
    return timezone.localdate()


def home_panels(user: User) -> list[Any]:
    """"Maturities in the next 30 days" on the owner's home page (core.home): money about to be free
    is a sales opportunity. Users who own no customers get no panel; amounts masked as on the card."""
    from core import masking
    from core.home import HomePanel

    if not user.may_own_customers:
        return []
    rows = maturities_due(user=user)
    if masking.masks(user, Holding, "amount"):
        rows = [masking.mask_instance(user, h) for h in rows]
    return [HomePanel(key="maturities", title=_("Maturities in the next 30 days"),
                      template="wealth/holdings/home_panel.html",
                      context={"rows": rows, "days": MATURITY_WINDOW_DAYS}, order=30)]
