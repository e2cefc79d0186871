"""The stored FX rates as a `valuation.RateTable`: for each pair, the latest rate valid on a day."""

from __future__ import annotations

from datetime import date

from django.db.models import Max

from wealth.models import FxRate
from wealth.valuation import RateTable


def rate_table_on(day: date) -> RateTable:
    """Every pair's rate with the latest `valid_from` on or before `day` (two queries, whatever the
    number of pairs: the table of rates stays small)."""
    latest = (
        FxRate.objects.filter(valid_from__lte=day).values("base", "quote").annotate(last=Max("valid_from"))
    )
    wanted = {(row["base"], row["quote"], row["last"]) for row in latest}
    if not wanted:
        return RateTable({})
    rows = FxRate.objects.filter(valid_from__in={last for _b, _q, last in wanted}).values_list(
        "base", "quote", "valid_from", "rate"
    )
    return RateTable({(b, q): rate for b, q, d, rate in rows if (b, q, d) in wanted})
