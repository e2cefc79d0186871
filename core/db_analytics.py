"""Vendor-specific SQL for set-based analytics (a companion of core/db.py, which stays the one place
that knows about the other vendor features): calendar days in the business time zone as integers,
dates from days, and session settings for large computations. Everything above uses these helpers
and stays portable.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

from core.db import bulk_load_settings, is_postgresql

# --- Calendar days for set-based analytics ---------------------------------------------------------
# Days are integers (days since 1970-01-01), so that date arithmetic (d > as_of − 365) is plain integer
# arithmetic on both databases.

_TZ_NAME_OK = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_-+")


@functools.lru_cache(maxsize=8)
def _utc_offsets(tz_name: str) -> tuple[tuple[str, int], ...]:
    """((UTC instant from which it applies, as SQLite stores datetimes; offset in seconds), …) of the
    zone from 1970 to 2100: its rules, so that SQLite (which has no time zones) gets DST right."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz_name)

    def offset(at: datetime) -> int:
        delta = at.astimezone(zone).utcoffset()
        if delta is None:  # never: a time in a ZoneInfo zone has its offset
            raise ValueError(f"{tz_name} gives {at} no UTC offset")
        return int(delta.total_seconds())

    start = datetime(1970, 1, 1, tzinfo=UTC)
    out = [(start.strftime("%Y-%m-%d %H:%M:%S"), offset(start))]
    day, last = start, out[0][1]
    while day.year < 2100:
        nxt = day + timedelta(hours=6)
        current = offset(nxt)
        if current != last:
            low, high = day, nxt  # the change happened in (low, high]: find the second
            while (high - low).total_seconds() > 1:
                mid = low + (high - low) / 2
                if offset(mid) == last:
                    low = mid
                else:
                    high = mid
            high = high.replace(microsecond=0)
            out.append((high.strftime("%Y-%m-%d %H:%M:%S"), current))
            last = current
        day = nxt
    return tuple(out)


def local_day_sql(
    column: str, tz_name: str, until: datetime | None = None, since: datetime | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> str:
    """SQL for the calendar day (days since 1970-01-01) of a datetime `column` in time zone `tz_name`
    (e.g. an order at 23:30 Shanghai time is on that Shanghai day, not on the UTC one). `column` is
    SQL written by the caller; `tz_name` a zone name from settings (checked). `since` / `until`: no
    value of the column is earlier / later than these (SQLite then leaves out the zone's changes
    outside that range: for a zone without changes in it, the column appears once in the SQL). `%` is escaped for
    use in a statement with parameters."""
    if not tz_name or set(tz_name) - _TZ_NAME_OK:
        raise ValueError(f"not a time zone name: {tz_name!r}")
    if is_postgresql(using):
        return f"((({column}) AT TIME ZONE '{tz_name}')::date - DATE '1970-01-01')"
    # SQLite stores UTC as 'YYYY-MM-DD HH:MM:SS[.ffffff]': seconds since the epoch, plus the zone's
    # offset at that instant (a CASE over the zone's changes, latest first since most rows are
    # recent; a constant when the zone has no change).
    offsets = list(_utc_offsets(tz_name))
    if until is not None:
        limit = until.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        offsets = [offsets[0]] + [o for o in offsets[1:] if o[0] <= limit]
    if since is not None:
        start = since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        before = [o for o in offsets if o[0] <= start]
        offsets = before[-1:] + [o for o in offsets if o[0] > start]
    if len(offsets) == 1:
        shift = str(offsets[0][1])
    else:
        whens = " ".join(f"WHEN ({column}) >= '{at}' THEN {off}" for at, off in reversed(offsets[1:]))
        shift = f"(CASE {whens} ELSE {offsets[0][1]} END)"
    # Whole seconds only: SQLite rounds fractions to milliseconds, so 23:59:59.9999 would become the
    # next day's 00:00:00.
    return f"((CAST(strftime('%%s', substr({column}, 1, 19)) AS INTEGER) + {shift}) / 86400)"


def date_day_sql(column: str, using: str = DEFAULT_DB_ALIAS) -> str:
    """SQL for a date `column` as days since 1970-01-01."""
    if is_postgresql(using):
        return f"(({column}) - DATE '1970-01-01')"
    return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"


def day_date_sql(expression: str, using: str = DEFAULT_DB_ALIAS) -> str:
    """SQL turning days since 1970-01-01 back into a date (NULL stays NULL)."""
    if is_postgresql(using):
        return f"(DATE '1970-01-01' + CAST(({expression}) AS INTEGER))"  # date + bigint is not defined
    return f"date(({expression}) * 86400, 'unixepoch')"


def month_index_sql(day_expression: str, using: str = DEFAULT_DB_ALIAS) -> str:
    """SQL for the calendar month of a day (days since 1970-01-01) as an integer: year × 12 + month − 1, so that
    months can be grouped and subtracted (`month_index_date` turns it back into the month's first day)."""
    if is_postgresql(using):
        day = f"(DATE '1970-01-01' + CAST(({day_expression}) AS INTEGER))"
        return f"(CAST(EXTRACT(YEAR FROM {day}) AS INTEGER) * 12 + CAST(EXTRACT(MONTH FROM {day}) AS INTEGER) - 1)"
    day = f"date(({day_expression}) * 86400, 'unixepoch')"
    return (f"(CAST(strftime('%%Y', {day}) AS INTEGER) * 12 + CAST(strftime('%%m', {day}) AS INTEGER) - 1)")


def month_index_date(index: int) -> date:
    """The first day of the month `month_index_sql` numbers `index`."""
    return date(index // 12, index % 12 + 1, 1)


@contextlib.contextmanager
def analytics_settings(using: str = DEFAULT_DB_ALIAS, work_mem_mb: int = 256) -> Iterator[None]:
    """Around (outside) the transaction of a large set-based computation: room for its sorts and
    hashes (PostgreSQL: work_mem for the session, reset afterwards; SQLite: a larger page cache and
    temporary tables and sorts in memory — SQLite refuses the latter inside a transaction)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        # JIT compilation of these statements' expressions took 6 s of a 29 s aggregate over 10.7M
        # orders and saved nothing (EXPLAIN ANALYZE, docs/segmentation.md): off for the session.
        with connection.cursor() as cursor:
            cursor.execute(f"SET work_mem = '{int(work_mem_mb)}MB'")
            cursor.execute("SET jit = off")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET work_mem")
                cursor.execute("RESET jit")
    else:
        with bulk_load_settings(using, cache_mb=work_mem_mb):
            yield


@contextlib.contextmanager
def grouping_in_index_order(cursor: Any, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Around a GROUP BY customer over millions of rows that an index holds in customer order:
    PostgreSQL's planner undercounts the groups (about one per customer) and picks a hash
    aggregate that spills to disk (10.7M orders: 26 s); streaming the index in group order takes
    9 s. Without parallel workers: their partial groups are as many as the final ones, so the
    leader's merge of them is the bottleneck and the workers only take the other core (whole
    statement 15.0 s with 2 workers, 11.2 s without; docs/segmentation.md). SQLite already streams
    the index."""
    if not is_postgresql(using):
        yield
        return
    cursor.execute("SET LOCAL enable_hashagg = off")
    cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
    try:
        yield
    finally:
        cursor.execute("RESET enable_hashagg")
        cursor.execute("RESET max_parallel_workers_per_gather")
