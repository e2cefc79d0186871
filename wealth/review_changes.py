"""What changed between two asset reviews, line by line (pure: no queries).

Rules (docs/wealth.md "Asset reviews"):
- Lines are matched by the holding they were taken from (`holding_id`). A holding in the current
  review and not in the previous one is NEW; one in the previous and not in the current is CLOSED;
  otherwise it is UP, DOWN or UNCHANGED by its value in the current review's reporting currency.
- Values are compared in the current review's reporting currency. Each line keeps its converted
  amount from its own day; when the previous review was in another reporting currency, its converted
  amounts are converted again with the current day's rates (`RateTable`), so the change includes
  the currency's move — what the customer's wealth in their currency did. The change in the
  holding's own currency is given too when both lines are in the same currency.
- `share` is the change relative to the previous value (None for a new line or a previous value of
  0). A closed line changes by minus its previous value (share −100 %).
- A liability (loan) that goes down, or is closed, IMPROVES net worth; one that goes up or is new
  worsens it. For assets it is the other way round. `effect` says which: BETTER, WORSE or SAME.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from wealth.choices import LIABILITY_CLASSES
from wealth.valuation import CENT, ZERO, RateTable

SHARE_PLACES = Decimal("0.0001")


class Movement(StrEnum):
    NEW = "new"
    CLOSED = "closed"
    UP = "up"
    DOWN = "down"
    UNCHANGED = "unchanged"


class Effect(StrEnum):
    BETTER = "better"  # net worth improves by it
    WORSE = "worse"
    SAME = "same"


@dataclass(frozen=True)
class Line:
    """One review line as the comparison sees it; `converted` is in its review's reporting currency."""

    holding_id: int
    asset_class: str
    amount: Decimal
    currency: str
    converted: Decimal

    @property
    def is_liability(self) -> bool:
        return self.asset_class in LIABILITY_CLASSES


@dataclass(frozen=True)
class LineChange:
    holding_id: int
    current: Line | None
    previous: Line | None
    movement: Movement
    change: Decimal  # in the current reporting currency (previous value converted), cents
    share: Decimal | None  # change / previous value, 4 places (0.1250 = +12.5 %)
    native_change: Decimal | None  # in the holding's own currency, when both lines share it
    effect: Effect

    @property
    def is_liability(self) -> bool:
        line = self.current or self.previous
        return bool(line and line.is_liability)


@dataclass(frozen=True)
class TotalsChange:
    assets: Decimal
    liabilities: Decimal
    net_worth: Decimal
    assets_share: Decimal | None


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _share(change: Decimal, base: Decimal) -> Decimal | None:
    return (change / base).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP) if base else None


def _effect(movement: Movement, liability: bool) -> Effect:
    if movement is Movement.UNCHANGED:
        return Effect.SAME
    grows = movement in (Movement.NEW, Movement.UP)
    return Effect.WORSE if grows == liability else Effect.BETTER


def _compare(current: Line | None, previous: Line | None, previous_value: Decimal) -> LineChange:
    line = current or previous
    assert line is not None
    now = current.converted if current else ZERO
    change = _cents(now - previous_value)
    if previous is None:
        movement = Movement.NEW
    elif current is None:
        movement = Movement.CLOSED
    else:
        movement = Movement.UP if change > 0 else Movement.DOWN if change < 0 else Movement.UNCHANGED
    native = None
    if current and previous and current.currency == previous.currency:
        native = _cents(current.amount - previous.amount)
    return LineChange(
        holding_id=line.holding_id, current=current, previous=previous, movement=movement, change=change,
        share=None if previous is None else _share(change, previous_value), native_change=native,
        effect=_effect(movement, line.is_liability),
    )


def line_changes(
    current: Iterable[Line], previous: Iterable[Line], *, currency: str, previous_currency: str, rates: RateTable,
) -> list[LineChange]:
    """Each line of the current review against the previous one, then the closed lines, in the
    order given. `rates` converts the previous review's currency into `currency` (MissingRate
    otherwise; not used when both are the same)."""
    before = {line.holding_id: line for line in previous}
    factor = rates.rate(previous_currency, currency) if before else Decimal(1)
    out = []
    seen = set()
    for line in current:
        seen.add(line.holding_id)
        old = before.get(line.holding_id)
        out.append(_compare(line, old, old.converted * factor if old else ZERO))
    out.extend(_compare(None, old, old.converted * factor) for hid, old in before.items() if hid not in seen)
    return out


def totals_change(
    current: tuple[Decimal, Decimal], previous: tuple[Decimal, Decimal], *, currency: str, previous_currency: str,
    rates: RateTable,
) -> TotalsChange:
    """The change of (assets, liabilities) and of net worth, in `currency`."""
    factor = rates.rate(previous_currency, currency)
    assets_before, liabilities_before = (value * factor for value in previous)
    assets = _cents(current[0] - assets_before)
    liabilities = _cents(current[1] - liabilities_before)
    return TotalsChange(assets=assets, liabilities=liabilities, net_worth=assets - liabilities,
                        assets_share=_share(assets, assets_before))
