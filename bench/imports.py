"""Import rate: 100,000 customer rows and 500,000 order lines from CSV (target: under 60 s each).

Runs on a fresh SQLite database in a temporary folder (or the DATABASE_URL given), through the same
service the CLI uses (`kehu import`): read, map, dry run, then the one-transaction import.

    .venv/bin/python bench/imports.py [--customers N] [--lines N] [--only customers|orders]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红兰建国志文斌宇浩凯晨欣怡子涵雨桐"
CITIES = ["北京", "上海", "广州", "深圳", "杭州", "南京", "成都", "武汉", "西安", "苏州"]


def _setup(tmp: Path) -> None:
    os.environ.setdefault("KEHU_DATA_DIR", str(tmp))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    os.environ.setdefault("KEHU_LOG_LEVEL", "ERROR")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _user():
    from accounts.models import Team, User

    team, _ = Team.objects.get_or_create(name="Bench")
    user = User.objects.filter(username="bench").first()
    return user or User.objects.create_user("bench", password="bench-pass-12345", role="admin", team=team)


def customers_csv(path: Path, n: int, seed: int = 1) -> None:
    rnd = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        w = csv.writer(handle)
        w.writerow(["客户编号", "客户名称", "类型", "手机", "邮箱", "城市", "地址", "生日", "风险偏好", "来源"])
        for i in range(n):
            name = rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2))))
            w.writerow([
                f"C{i:07d}", name, "个人", f"1{rnd.randint(3, 9)}{rnd.randint(0, 999999999):09d}",
                f"u{i}@example.cn", rnd.choice(CITIES), f"{rnd.choice(CITIES)}市幸福路{rnd.randint(1, 999)}号",
                f"{rnd.randint(1950, 2004)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
                rnd.choice(["保守型", "稳健型", "平衡型", "积极型", "激进型"]),
                rnd.choice(["转介绍", "网站", "活动或展会"]),
            ])


def orders_csv(path: Path, lines: int, customers: int, products: int, seed: int = 2) -> None:
    rnd = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        w = csv.writer(handle)
        w.writerow(["订单号", "客户编号", "下单日期", "状态", "渠道", "产品编号", "数量", "单价", "折扣"])
        i = order = 0
        while i < lines:
            order += 1
            customer = f"C{rnd.randrange(customers):07d}"
            day = f"2025-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
            status = rnd.choice(["paid", "paid", "paid", "placed", "cancelled"])
            for _ in range(min(rnd.randint(1, 9), lines - i)):
                # Mostly the list price (empty unit price), sometimes a negotiated one.
                price = "" if rnd.random() < 0.8 else f"{rnd.randint(10, 200)}.00"
                w.writerow([f"O{order:08d}", customer, day, status, "online", f"P{rnd.randrange(products):04d}",
                            rnd.randint(1, 5), price, rnd.choice(["", "", "", "5%", "10%"])])
                i += 1


def _time_import(user, kind: str, path: Path) -> tuple[float, float, object]:
    """(seconds of the dry run, seconds of the import, job), through the services the CLI uses."""
    from django.core.files import File

    from dataio.services import import_job_confirm, import_job_create, import_job_map

    start = time.perf_counter()
    with open(path, "rb") as handle:
        job = import_job_create(actor=user, kind=kind, upload=File(handle, name=path.name), source="cli")
    import_job_map(actor=user, job_id=job.pk, mapping=job.mapping)
    checked = time.perf_counter()
    import_job_confirm(actor=user, job_id=job.pk)
    done = time.perf_counter()
    job.refresh_from_db()
    if job.status != "done":
        raise SystemExit(f"{kind}: import did not finish: {job.status} {job.error} {job.report.get('errors', [])[:5]}")
    return checked - start, done - checked, job


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=500_000)
    parser.add_argument("--products", type=int, default=500)
    parser.add_argument("--only", choices=["customers", "orders"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kehu-bench-") as tmp_name:
        tmp = Path(tmp_name)
        _setup(tmp)
        from django.db import connection

        from core.actor import Source, acting_as

        user = _user()
        results = []
        with acting_as(user, Source.CLI):
            path = tmp / "customers.csv"
            customers_csv(path, args.customers)
            check, seconds, job = _time_import(user, "customers", path)
            if args.only != "orders":
                results.append(("customers", args.customers, check, seconds))
            if args.only != "customers":
                from dataio.importers import importers

                if "orders" not in importers():
                    print("orders: no order importer in this installation; skipped")
                else:
                    products = tmp / "products.csv"
                    with open(products, "w", newline="", encoding="utf-8") as handle:
                        w = csv.writer(handle)
                        w.writerow(["产品编号", "产品名称", "类别", "价格", "成本"])
                        for p in range(args.products):
                            w.writerow([f"P{p:04d}", f"产品{p}", f"类别{p % 12}", "100.00", "60.00"])
                    _time_import(user, "products", products)
                    path = tmp / "orders.csv"
                    orders_csv(path, args.lines, args.customers, args.products)
                    check, seconds, job = _time_import(user, "orders", path)
                    results.append(("order lines", args.lines, check, seconds))
        print(f"database: {connection.vendor}")
        for what, n, check, seconds in results:
            verdict = "ok" if seconds < 60 else "SLOW (target 60 s)"
            print(f"import {n:>9,} {what:<12} dry run {check:6.1f} s, import {seconds:6.1f} s "
                  f"({n / seconds:>7,.0f} rows/s) {verdict}; both {check + seconds:6.1f} s")


if __name__ == "__main__":
    main()
