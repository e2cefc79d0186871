"""The review rules that need no database: the risk-preference mismatch and the cadence's dates.

Risk mismatch (docs/wealth.md "Asset reviews"): a risk preference suits products up to a level —
conservative R1, moderately conservative R2, balanced R3, moderately aggressive R4, aggressive R5
(the banks' customer grades C1–C5 against product grades R1–R5). A portfolio is flagged when the
share of its assets in levels ABOVE that one is MISMATCH_SHARE (20 %) or more; e.g. a conservative
customer with 40 % in R4–R5 is flagged, one with 10 % in R2 is not. Unrated assets are not counted
(shown apart); a customer without a preference is never flagged.

Cadence: the next review is due `months` after the last one (the same day of the month, or the
month's last day when it has fewer days); a customer never reviewed is due from the day they were
first scheduled.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

RISK_LEVELS = ("R1", "R2", "R3", "R4", "R5")
SUITABLE_UP_TO = {"conservative": "R1", "cautious": "R2", "balanced": "R3", "growth": "R4", "aggressive": "R5"}
MISMATCH_SHARE = Decimal("0.20")


@dataclass(frozen=True)
class RiskFit:
    preference: str
    suitable_up_to: str  # "" without a preference
    above_levels: tuple[str, ...]  # the levels above the suitable one
    above_share: Decimal  # share of assets in them (0–1)
    unrated_share: Decimal
    mismatch: bool


def risk_fit(preference: str, risk_mix: Mapping[str, Decimal]) -> RiskFit:
    """The customer's `preference` (customers.RiskPreference value or "") against the portfolio's
    risk mix (level → share of assets, "" unrated)."""
    unrated = Decimal(risk_mix.get("", 0))
    limit = SUITABLE_UP_TO.get(preference, "")
    if not limit:
        return RiskFit(preference, "", (), Decimal(0), unrated, False)
    above = RISK_LEVELS[RISK_LEVELS.index(limit) + 1:]
    share = sum((Decimal(risk_mix.get(level, 0)) for level in above), Decimal(0))
    return RiskFit(preference, limit, above, share, unrated, bool(above) and share >= MISMATCH_SHARE)


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def next_due(last_reviewed_on: date | None, months: int, *, scheduled_on: date) -> date:
    """When the next review is due: `months` after the last review, or `scheduled_on` when there was none."""
    return add_months(last_reviewed_on, months) if last_reviewed_on else scheduled_on
