# ruff: noqa: S608, T201
"""The nightly scoring at scale: `scores_refresh()` on an existing database, timed phase by phase.

    DATABASE_URL=postgres://…/kehu_bench .venv/bin/python -m bench.scores [--as-of DATE] [--clv-only]
    DATABASE_URL=postgres://…/kehu_scores .venv/bin/python -m bench.scores --generate 1000000 --orders 10

`refresh_timing(database_url)` runs one scoring run on the database `database_url` names (a bench
database built by `make bench`, a demo database, or one filled by `--generate`) and returns the
total time, the time of each phase (reading the order history in one query, fitting and scoring,
churn, next best products, writing the scores), and the sizes. `--clv-only` leaves the churn
classifier and the product model out, to time the CLV part alone.

`--generate N` (PostgreSQL only) first fills an EMPTY database with N customers and about N × orders
paid orders drawn in SQL (generate_series): a BG/NBD-like history over three years with Gamma-ish
order values. It exists to measure the scoring at 1,000,000 customers without the hours a full demo
load takes; the rows have no order lines, so the product model has nothing to learn from.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
os.environ.setdefault("KEHU_LOG_LEVEL", "ERROR")


def _setup(database_url: str | None) -> None:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()


def generate(*, customers: int, orders_per_customer: float, seed: float = 0.42) -> dict[str, int]:
    """Fill an empty PostgreSQL database with `customers` customers and their paid orders, in SQL."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from accounts.models import Team, User

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM customers_customer")
        if cursor.fetchone()[0]:
            raise SystemExit("--generate needs an empty database (customers exist)")
    team, _ = Team.objects.get_or_create(name="Bench")
    owner = User.objects.filter(username="bench").first() or User.objects.create_user(
        "bench", password="bench-pass-12345", role="admin", team=team)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute(
            """INSERT INTO customers_customer (created_at, updated_at, kind, name, owner_id, team_id, phone, phone_alt,
                   email, wechat_id, id_number, province, city, address, postal_code, gender, occupation, employer,
                   education, personality, hobbies, legal_representative, business_owner, managers, legal_form,
                   industry, company_size, assets_currency, service_area, sales_capacity, growth_potential,
                   business_philosophy, policies, scale, operating_style, performance, staff_quality,
                   competitor_relations, attitude_to_us, current_sales_activity, problems, strengths, plans, image,
                   reputation, credit_standing, trade_terms, credit_incidents, source_channel, risk_preference,
                   special_notes, name_pinyin, name_initials, phone_digits)
               SELECT now(), now(), 'person', '客户' || g, %s, %s, '', '', '', '', '', '', '', '', '', '', '', '',
                   '', '', '', '', '', '', '', '', '', 'CNY', '', '', '', '', '', '', '', '', '', '', '', '', '', '',
                   '', '', '', '', '', '', '', '', '', 'kehu' || g, 'kh', ''
               FROM generate_series(1, %s) g""",
            [owner.pk, team.pk, customers],
        )
        # Per customer: a number of orders (exponential around the mean asked for), a first purchase
        # within three years, a time after which 40 % of customers stop buying, and a mean value.
        cursor.execute(
            """CREATE TEMP TABLE bench_traits AS
               SELECT id, greatest(1, round(-ln(1 - random()) * %s * (0.5 + random())))::int AS n, first_at,
                      (now() - first_at) * (CASE WHEN random() < 0.4 THEN random() ELSE 1 END) AS active,
                      exp(4 + random() * 2) AS value
               FROM (SELECT id, now() - (random() * 1095) * interval '1 day' AS first_at
                     FROM customers_customer) c""",
            [orders_per_customer],
        )
        cursor.execute(
            """INSERT INTO commerce_order (created_at, updated_at, customer_id, ordered_at, status, channel, region,
                   location, currency, revenue, cost, margin, note)
               SELECT now(), now(), o.id, o.at, 'paid', '', '', '', 'CNY', round((o.value * o.f)::numeric, 2),
                      round((o.value * o.f * 0.7)::numeric, 2), round((o.value * o.f * 0.3)::numeric, 2), ''
               FROM (SELECT t.id, t.value, 0.5 + random() AS f,
                            t.first_at + CASE WHEN k = 1 THEN interval '0' ELSE t.active * random() END AS at
                     FROM bench_traits t, generate_series(1, t.n) k) o""",
        )
        cursor.execute("SELECT COUNT(*) FROM commerce_order")
        orders = cursor.fetchone()[0]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"customers": customers, "orders": orders}


def refresh_timing(
    database_url: str | None = None, *, as_of: date | None = None, clv_only: bool = False,
) -> dict[str, Any]:
    """Run scores_refresh on the database at `database_url` (default: DATABASE_URL as set) and return
    {"seconds", "phases": {phase: seconds}, "customers_scored", "orders", "database", …}."""
    _setup(database_url)
    from django.db import connection

    from commerce.models import Order
    from customers.models import Customer
    from insights import services

    if clv_only:
        def unavailable(**kwargs: Any) -> dict[str, Any]:
            raise ImportError("left out (--clv-only)")

        services._churn_add = unavailable  # type: ignore[assignment]
        services._products_add = unavailable  # type: ignore[assignment]
    starts: dict[str, float] = {}

    def progress(phase: str, done: int, total: int) -> None:
        starts.setdefault(phase, time.perf_counter())

    begin = time.perf_counter()
    run = services.scores_refresh(as_of=as_of, progress=progress)
    end = time.perf_counter()
    order = sorted(starts.items(), key=lambda kv: kv[1])
    phases = {}
    for i, (phase, at) in enumerate(order):
        nxt = order[i + 1][1] if i + 1 < len(order) else end
        phases[phase] = round(nxt - at, 2)
    return {
        "database": connection.vendor,
        "customers": Customer.objects.filter(deleted_at__isnull=True).count(),
        "orders": Order.objects.completed().count(),
        "customers_scored": run.customers_scored,
        "seconds": round(end - begin, 2),
        "phases": phases,
        "clv_only": clv_only,
        "bgnbd": run.bgnbd,
        "holdout_total": (run.holdout or {}).get("total"),
        "churn": {k: (run.churn or {}).get(k) for k in ("status", "method", "auc", "fallback", "reason")},
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--as-of", type=date.fromisoformat, default=None)
    parser.add_argument("--clv-only", action="store_true")
    parser.add_argument("--generate", type=int, default=0, metavar="N")
    parser.add_argument("--orders", type=float, default=10.0, help="orders per customer with --generate")
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL")
    if not url:
        print("Set DATABASE_URL to the database to score.", file=sys.stderr)
        return 2
    if args.generate:
        _setup(url)
        started = time.perf_counter()
        made = generate(customers=args.generate, orders_per_customer=args.orders)
        print(f"generated {made['customers']:,} customers, {made['orders']:,} orders "
              f"in {time.perf_counter() - started:.1f} s", flush=True)
    result = refresh_timing(url, as_of=args.as_of, clv_only=args.clv_only)
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
