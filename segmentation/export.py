"""The per-customer export of the computed schemes (`kehu segments export FILE.csv`): one row per
customer with its id, external id and every scheme's class and figures, streamed in id order so that
a million customers never sit in memory at once."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from segmentation.models import CustomerSegment

# (header, field of CustomerSegment); the header is a stable machine-readable key.
COLUMNS: list[tuple[str, str]] = [
    ("customer_id", "customer_id"),
    ("external_id", "customer__external_id"),
    ("as_of", "as_of"),
    ("abc_tier", "abc_tier"),
    ("profit", "profit"),
    ("profit_rank", "profit_rank"),
    ("loss_making", "loss_making"),
    ("revenue", "revenue"),
    ("margin", "margin"),
    ("cost_to_serve", "cost_to_serve"),
    ("recency_days", "recency_days"),
    ("frequency", "frequency"),
    ("monetary", "monetary"),
    ("r_score", "r_score"),
    ("f_score", "f_score"),
    ("m_score", "m_score"),
    ("rfm_segment", "rfm_segment"),
    ("orders_total", "orders_total"),
    ("first_order_on", "first_order_on"),
    ("last_order_on", "last_order_on"),
    ("lifecycle_stage", "lifecycle_stage"),
    ("lifecycle_since", "lifecycle_since"),
    ("loyalty", "loyalty"),
    ("current_value", "current_value"),
    ("potential_value", "potential_value"),
    ("value_class", "value_class"),
]

CHUNK = 5000


def segment_rows(chunk: int = CHUNK) -> Iterator[tuple[Any, ...]]:
    """Every stored segment row as a tuple of COLUMNS, in customer id order, read in keyset chunks
    (customers deleted since the refresh are left out)."""
    fields = [f for _h, f in COLUMNS]
    after = 0
    while True:
        rows = list(
            CustomerSegment.objects.filter(customer_id__gt=after, customer__deleted_at__isnull=True)
            .order_by("customer_id").values_list(*fields)[:chunk]
        )
        if not rows:
            return
        yield from rows
        after = rows[-1][0]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return value


def write_csv(handle: IO[str]) -> int:
    """Write the header and every row to `handle`; returns the number of customers."""
    writer = csv.writer(handle)
    writer.writerow([h for h, _f in COLUMNS])
    count = 0
    for row in segment_rows():
        writer.writerow([_cell(v) for v in row])
        count += 1
    return count


def export_csv(path: str | Path) -> int:
    """Write the export to `path` (UTF-8 with a byte-order mark, so that Excel reads it)."""
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        return write_csv(handle)
