# ruff: noqa: S608, T201
"""The segments refresh at scale, against DuckDB as the speed-of-light reference.

    DATABASE_URL=… .venv/bin/python -m bench.segmentation [--as-of DATE] [--skip-duckdb] [--runs 2]
    .venv/bin/python -m bench.segmentation --bench 1000000   # the `make bench` databases, SQLite and PostgreSQL

1. Times `segments_refresh()` on the database DATABASE_URL names (every phase; the first run and a
   second "nightly" run over the same data).
2. Exports the completed orders, the costs to serve and the customers to CSV (not timed as part of
   the query), loads them into an in-memory DuckDB (DuckDB's sqlite extension cannot be installed
   offline) and times the same ABC + RFM + lifecycle computation there.
3. Checks that both give the same class counts (ABC tiers, RFM segments, lifecycle stages) and prints
   a table. Lifecycle marks are not part of the DuckDB reference: customers with a mark in force are
   left out of the lifecycle comparison. The order days in DuckDB use the zone's UTC offset on the
   as-of day (exact for Asia/Shanghai, which has had no daylight saving since 1991).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")


def _setup() -> None:
    django.setup()


def export_tables(folder: Path, end_epoch: int) -> dict[str, int]:
    """orders.csv (customer, UTC epoch seconds, revenue and margin in cents; paid, not deleted, before the end of the
    as-of day), costs.csv (customer, day, cents) and customers.csv (id) of the non-deleted rows."""
    from django.db import connection

    from core.db import is_postgresql

    epoch = "CAST(extract(epoch from ordered_at) AS BIGINT)" if is_postgresql() else \
        "CAST(strftime('%s', ordered_at) AS INTEGER)"
    day = "(incurred_on - DATE '1970-01-01')" if is_postgresql() else \
        "CAST(julianday(incurred_on) - 2440587.5 AS INTEGER)"
    queries = {
        "orders": f"SELECT customer_id, {epoch}, CAST(ROUND(revenue * 100) AS BIGINT), "
                  f"CAST(ROUND(margin * 100) AS BIGINT) FROM commerce_order WHERE status = 'paid' "
                  f"AND deleted_at IS NULL",
        "costs": f"SELECT customer_id, {day}, CAST(ROUND(amount * 100) AS BIGINT) FROM commerce_customercost "
                 f"WHERE deleted_at IS NULL",
        "customers": "SELECT id FROM customers_customer WHERE deleted_at IS NULL",
    }
    counts = {}
    for name, sql in queries.items():
        path = folder / f"{name}.csv"
        if is_postgresql():
            with connection.cursor() as cursor, open(path, "wb") as out, \
                    cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
                for block in copy:
                    out.write(block)
            with open(path, "rb") as written:
                counts[name] = sum(1 for _line in written)
        else:
            with connection.cursor() as cursor, open(path, "w", newline="") as out:
                cursor.execute(sql)
                writer = csv.writer(out)
                n = 0
                while rows := cursor.fetchmany(100_000):
                    writer.writerows(rows)
                    n += len(rows)
                counts[name] = n
    return counts


DUCK_SQL = """
WITH o AS (
    SELECT c, CAST(floor((t + {off}) / 86400) AS BIGINT) AS d, t, rev, mar, row_number() OVER () AS id
    FROM orders WHERE t < {end_epoch}
),
ow AS (
    SELECT c, d, rev, mar, lag(d) OVER (PARTITION BY c ORDER BY t, id) AS prev_d FROM o
),
agg AS (
    SELECT c, count(*) AS n, max(d) AS last_day,
           sum(CASE WHEN d > {A} - {W} THEN 1 ELSE 0 END) AS frequency,
           sum(CASE WHEN d > {A} - {W} THEN rev ELSE 0 END) AS revenue,
           sum(CASE WHEN d > {A} - {W} THEN mar ELSE 0 END) AS margin,
           max(CASE WHEN d > {A} - {W} THEN d END) AS last_window_day,
           {periods} AS periods
    FROM ow GROUP BY c
),
co AS (SELECT c, sum(amt) AS cost FROM costs WHERE d > {A} - {W} AND d <= {A} GROUP BY c),
b AS (
    SELECT cu.id, coalesce(a.n, 0) AS n, a.last_day, coalesce(a.frequency, 0) AS frequency,
           coalesce(a.revenue, 0) AS revenue, coalesce(a.margin, 0) - coalesce(co.cost, 0) AS profit,
           {A} - a.last_window_day AS recency, coalesce(a.periods, 0) AS periods
    FROM customers cu LEFT JOIN agg a ON a.c = cu.id LEFT JOIN co ON co.c = cu.id
),
w AS (
    SELECT b.*,
        CASE WHEN profit <= 0 THEN 'C'
             WHEN 100 * coalesce(sum(profit) OVER (ORDER BY profit DESC, id ROWS BETWEEN UNBOUNDED PRECEDING
                  AND 1 PRECEDING), 0) < {a_pct} * sum(CASE WHEN profit > 0 THEN profit ELSE 0 END) OVER () THEN 'A'
             WHEN 100 * coalesce(sum(profit) OVER (ORDER BY profit DESC, id ROWS BETWEEN UNBOUNDED PRECEDING
                  AND 1 PRECEDING), 0) < {b_pct} * sum(CASE WHEN profit > 0 THEN profit ELSE 0 END) OVER () THEN 'B'
             ELSE 'C' END AS abc,
        CASE WHEN frequency > 0 THEN 1 + (5 * (rank() OVER (PARTITION BY frequency > 0 ORDER BY recency DESC) - 1))
             // count(*) OVER (PARTITION BY frequency > 0) END AS r,
        CASE WHEN frequency > 0 THEN 1 + (5 * (rank() OVER (PARTITION BY frequency > 0 ORDER BY frequency) - 1))
             // count(*) OVER (PARTITION BY frequency > 0) END AS f,
        CASE WHEN n = 0 THEN 'potential'
             WHEN {A} - last_day > {lost} AND {A} - (last_day + {lost} + 1) > {noncust} THEN 'non_customer'
             WHEN {A} - last_day > {lost} THEN 'lost'
             WHEN n >= {loyal_orders} AND periods >= {loyal_periods} THEN 'loyal'
             WHEN n >= 2 THEN 'repeat' ELSE 'first_time' END AS stage
    FROM b
)
SELECT id, abc, stage, CASE
    WHEN r IS NULL THEN 'no_recent_purchase'
    WHEN r <= 2 THEN CASE WHEN f <= 2 THEN 'hibernating' WHEN f <= 4 THEN 'at_risk' ELSE 'cant_lose' END
    WHEN r = 3 THEN CASE WHEN f <= 2 THEN 'about_to_sleep' WHEN f = 3 THEN 'need_attention' ELSE 'loyal' END
    WHEN r = 4 THEN CASE WHEN f = 1 THEN 'promising' WHEN f <= 3 THEN 'potential_loyalist' ELSE 'loyal' END
    ELSE CASE WHEN f = 1 THEN 'new' WHEN f <= 3 THEN 'potential_loyalist' ELSE 'champions' END END AS rfm
FROM w
"""


def duckdb_run(folder: Path, as_of: date, end_epoch: int, offset: int) -> tuple[dict[str, float], list[tuple]]:
    import duckdb

    from segmentation.refresh import day_number, segmentation_settings

    conf = segmentation_settings()
    con = duckdb.connect()
    timings = {}
    started = time.perf_counter()
    con.execute(f"CREATE TABLE orders AS SELECT * FROM read_csv('{folder}/orders.csv', header=false, "
                "columns={'c': 'BIGINT', 't': 'BIGINT', 'rev': 'BIGINT', 'mar': 'BIGINT'})")
    con.execute(f"CREATE TABLE costs AS SELECT * FROM read_csv('{folder}/costs.csv', header=false, "
                "columns={'c': 'BIGINT', 'd': 'BIGINT', 'amt': 'BIGINT'})")
    con.execute(f"CREATE TABLE customers AS SELECT * FROM read_csv('{folder}/customers.csv', header=false, "
                "columns={'id': 'BIGINT'})")
    timings["duckdb load"] = time.perf_counter() - started
    A, P = day_number(as_of), conf.period_days  # noqa: N806
    periods = " + ".join(f"max(CASE WHEN d > {A} - {k + 1} * {P} AND d <= {A} - {k} * {P} THEN 1 ELSE 0 END)"
                         for k in range(conf.loyal_periods))
    sql = DUCK_SQL.format(off=offset, end_epoch=end_epoch, A=A, W=conf.window_days, periods=periods,
                          a_pct=int(round(conf.abc_a_cumulative_share * 100)),
                          b_pct=int(round(conf.abc_b_cumulative_share * 100)), lost=conf.lost_after_days,
                          noncust=conf.non_customer_after_days, loyal_orders=conf.loyal_min_orders,
                          loyal_periods=conf.loyal_min_periods)
    started = time.perf_counter()
    rows = con.execute(sql).fetchall()
    timings["duckdb query"] = time.perf_counter() - started
    return timings, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--as-of", help="YYYY-MM-DD (default today in the business time zone)")
    parser.add_argument("--runs", type=int, default=2, help="kehu refresh runs (the first, then nightly re-runs)")
    parser.add_argument("--skip-duckdb", action="store_true")
    parser.add_argument("--bench", type=int, metavar="CUSTOMERS",
                        help="run on the databases `make bench` built for this many customers (both vendors)")
    args = parser.parse_args(argv)
    if args.bench:
        return _on_bench_databases(args.bench, [a for a in (argv or sys.argv[1:]) if a != "--bench"
                                                and a != str(args.bench)])
    _setup()
    from django.db import connection
    from django.db.models import Count

    from customers.models import Customer
    from segmentation.models import CustomerSegment, LifecycleMark
    from segmentation.refresh import _day_start_utc, business_today, business_zone
    from segmentation.services import segments_refresh

    as_of = date.fromisoformat(args.as_of) if args.as_of else business_today()
    customers = Customer.objects.filter(deleted_at__isnull=True).count()
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}  customers: {customers:,}  "
          f"as of {as_of}")
    table = []
    for run in range(args.runs):
        result = segments_refresh(as_of=as_of)
        label = "kehu refresh (first)" if run == 0 else "kehu refresh (again)"
        table.append((label, result.seconds, ", ".join(f"{k} {v:.1f}" for k, v in result.phases.items())))
        print(f"  {label}: {result.seconds:.1f} s  ({table[-1][2]}); transitions {result.transitions:,}")
    ok = True
    if not args.skip_duckdb:
        end = _day_start_utc(as_of + timedelta(days=1))
        end_epoch = int(end.timestamp())
        offset = int(datetime(as_of.year, as_of.month, as_of.day, 12, tzinfo=business_zone()).utcoffset()
                     .total_seconds())
        with tempfile.TemporaryDirectory(prefix="kehu_seg_bench_") as tmp:
            started = time.perf_counter()
            counts = export_tables(Path(tmp), end_epoch)
            table.append(("export to CSV (not compared)", time.perf_counter() - started,
                          ", ".join(f"{k} {v:,}" for k, v in counts.items())))
            timings, rows = duckdb_run(Path(tmp), as_of, end_epoch, offset)
        for name, seconds in timings.items():
            table.append((name, seconds, ""))
        marked = set(LifecycleMark.objects.filter(cleared_on__isnull=True, marked_on__lte=as_of)
                     .values_list("customer_id", flat=True))
        duck = {"abc_tier": Counter(r[1] for r in rows), "rfm_segment": Counter(r[3] for r in rows),
                "lifecycle_stage": Counter(r[2] for r in rows if r[0] not in marked)}
        print("\nclass counts (kehu | duckdb):")
        for field, expected in duck.items():
            qs = CustomerSegment.objects.filter(customer__deleted_at__isnull=True)
            if field == "lifecycle_stage":
                qs = qs.exclude(customer_id__in=marked)
            mine = Counter(dict(qs.values_list(field).annotate(n=Count("pk")).values_list(field, "n")))
            same = mine == expected
            ok &= same
            print(f"  {field:<16} {'same' if same else 'DIFFERENT'}")
            for key in sorted(set(mine) | set(expected)):
                mark = "" if mine[key] == expected[key] else "   <-- differs"
                print(f"      {key:<20} {mine[key]:>10,} | {expected[key]:>10,}{mark}")
    print(f"\n{'step':<32} {'seconds':>9}  detail")
    for name, seconds, detail in table:
        print(f"{name:<32} {seconds:9.2f}  {detail}")
    return 0 if ok else 1


def _on_bench_databases(customers: int, rest: list[str]) -> int:
    """This benchmark on `make bench`'s SQLite file and PostgreSQL database, when they exist."""
    import subprocess

    from bench.run import DEFAULT_PG, postgres_database, postgres_reachable, sqlite_database

    status = 0
    targets = [sqlite_database(customers)]
    if postgres_reachable(DEFAULT_PG) is None:
        targets.append(postgres_database(DEFAULT_PG, customers))
    for db in targets:
        if db.url.startswith("sqlite:") and not Path(db.url.removeprefix("sqlite:///")).exists():
            print(f"{db.label}: no bench database yet (run `make bench` first)")
            continue
        print(f"\n=== {db.label} ===", flush=True)
        env = {**db.env, "KEHU_LOG_LEVEL": "WARNING"}
        status |= subprocess.run([sys.executable, "-m", "bench.segmentation", *rest], env=env).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
