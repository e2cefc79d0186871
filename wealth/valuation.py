"""Pure arithmetic of a customer's wealth (D2): conversion into the reporting currency, totals, net
worth, allocation by class and risk mix. No queries: callers pass the positions and a `RateTable`
(`wealth.fx.rate_table_on(day)` builds one from the stored rates).

Rules:
- A rate converts `base` into `quote` (1 base = rate quote). A pair not stored directly is used
  inverted (1 / rate) or crossed through CNY (base → CNY → quote); otherwise the conversion fails with
  `MissingRate` — a total is never computed with a currency silently left out.
- Liabilities (class loan) are kept apart: net worth = assets − liabilities. Allocation shares are
  of assets only (a liability has no share of a portfolio); the risk mix is of assets that carry a
  risk level, with the unrated share reported separately.
- Amounts are converted at full precision; totals are rounded half-up to cents at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from wealth.choices import LIABILITY_CLASSES

CENT = Decimal("0.01")
ZERO = Decimal("0")
PIVOT = "CNY"


class MissingRate(LookupError):
    """No stored rate (direct, inverse or through CNY) converts `base` into `quote`."""

    def __init__(self, base: str, quote: str) -> None:
        super().__init__(f"no FX rate from {base} to {quote}")
        self.base = base
        self.quote = quote


@dataclass(frozen=True)
class RateTable:
    """Rates by (base, quote): 1 base = rate quote."""

    rates: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)

    def rate(self, base: str, quote: str) -> Decimal:
        if base == quote:
            return Decimal(1)
        direct = self._pair(base, quote)
        if direct is not None:
            return direct
        if PIVOT not in (base, quote):
            to_pivot, from_pivot = self._pair(base, PIVOT), self._pair(PIVOT, quote)
            if to_pivot is not None and from_pivot is not None:
                return to_pivot * from_pivot
        raise MissingRate(base, quote)

    def _pair(self, base: str, quote: str) -> Decimal | None:
        if (base, quote) in self.rates:
            return Decimal(self.rates[(base, quote)])
        inverse = self.rates.get((quote, base))
        if inverse:
            return Decimal(1) / Decimal(inverse)
        return None

    def convert(self, amount: Decimal, base: str, quote: str) -> Decimal:
        return Decimal(amount) * self.rate(base, quote)


@dataclass(frozen=True)
class Position:
    """One holding as the arithmetic sees it."""

    asset_class: str
    amount: Decimal
    currency: str
    risk_level: str = ""


@dataclass(frozen=True)
class WealthSummary:
    currency: str
    assets: Decimal
    liabilities: Decimal
    net_worth: Decimal
    by_class: dict[str, Decimal]  # class → amount in `currency` (assets and liabilities)
    allocation: dict[str, Decimal]  # asset class → share of assets (0–1), liabilities left out
    risk_mix: dict[str, Decimal]  # risk level ("R1"…"R5", "" unrated) → share of assets (0–1)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def summarize(positions: Iterable[Position], *, currency: str, rates: RateTable) -> WealthSummary:
    """Totals of `positions` in `currency`. Raises MissingRate when a position's currency cannot be
    converted."""
    by_class: dict[str, Decimal] = {}
    by_risk: dict[str, Decimal] = {}
    assets = liabilities = ZERO
    for p in positions:
        value = rates.convert(p.amount, p.currency, currency)
        by_class[p.asset_class] = by_class.get(p.asset_class, ZERO) + value
        if p.asset_class in LIABILITY_CLASSES:
            liabilities += value
        else:
            assets += value
            by_risk[p.risk_level] = by_risk.get(p.risk_level, ZERO) + value
    allocation = {
        cls: (amount / assets if assets else ZERO) for cls, amount in by_class.items() if cls not in LIABILITY_CLASSES
    }
    risk_mix = {level: (amount / assets if assets else ZERO) for level, amount in by_risk.items()}
    return WealthSummary(
        currency=currency,
        assets=_cents(assets),
        liabilities=_cents(liabilities),
        net_worth=_cents(assets - liabilities),
        by_class={cls: _cents(amount) for cls, amount in by_class.items()},
        allocation=allocation,
        risk_mix=risk_mix,
    )
