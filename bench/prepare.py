"""The bench's helper inside Django (run by bench.run with the bench database's environment):

    python -m bench.prepare meta                  # what the database holds (JSON), {} if nothing
    python -m bench.prepare mark --customers N --seed S --demo-seconds T --customers-seconds C
    python -m bench.prepare fixture --seed S      # bench user, token and sample requests (JSON)

It prints one JSON document on stdout and nothing else.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import sys
from typing import Any

from bench import prepare_winback

META_TABLE = "kehu_bench_meta"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    import django

    django.setup()


def meta() -> dict[str, Any]:
    from django.db import DatabaseError, connection

    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT key, value FROM {META_TABLE}")  # noqa: S608 (constant name)
            return {k: json.loads(v) for k, v in cursor.fetchall()}
    except DatabaseError:
        return {}


def mark(values: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key varchar(50) PRIMARY KEY, value text)")
        for key, value in values.items():
            cursor.execute(f"DELETE FROM {META_TABLE} WHERE key = %s", [key])  # noqa: S608
            cursor.execute(f"INSERT INTO {META_TABLE} (key, value) VALUES (%s, %s)", [key, json.dumps(value)])  # noqa: S608
    return meta()


def _bench_user() -> tuple[Any, str, str]:
    """The bench's administrator (sees every customer) with a fresh password and API token."""
    from accounts.models import ApiToken, User
    from accounts.services import token_create

    password = secrets.token_urlsafe(18)
    user, _created = User.objects.get_or_create(username="bench", defaults={"role": "admin", "is_demo": True})
    user.role, user.is_demo, user.is_active, user.language = "admin", True, True, "zh-hans"
    user.set_password(password)
    user.save()
    ApiToken.objects.filter(user=user).delete()
    _token, raw = token_create(user=user, name="bench")
    return user, password, raw


def _samples(rnd: random.Random) -> dict[str, list[dict[str, Any]]]:
    """Search queries taken from the data, with what a correct answer must contain."""
    from django.db.models import Max, Min

    from customers.models import Customer

    bounds = Customer.objects.aggregate(lo=Min("id"), hi=Max("id"))
    ids = [rnd.randint(bounds["lo"], bounds["hi"]) for _ in range(6000)]
    rows = list(
        Customer.objects.filter(pk__in=ids, deleted_at__isnull=True, kind="person")
        .values_list("id", "name", "name_initials", "phone_digits", "email")
    )
    rnd.shuffle(rows)

    def pick(values: list[dict[str, Any]], n: int = 40) -> list[dict[str, Any]]:
        seen: set[str] = set()
        out = []
        for v in values:
            if v["q"] not in seen:
                seen.add(v["q"])
                out.append(v)
            if len(out) == n:
                break
        return out

    chinese = [r for r in rows if not r[1].isascii()]
    return {
        "search_2char": pick([{"q": r[1], "expect": r[1]} for r in chinese if len(r[1]) == 2]),
        "search_3char": pick([{"q": r[1], "expect": r[1]} for r in chinese if len(r[1]) == 3]),
        "search_initials": pick([{"q": r[2], "expect": 'class="hit"'} for r in chinese if len(r[2]) == 3]),
        "search_phone4": pick([{"q": r[3][5:9], "expect": 'class="hit"'} for r in rows if len(r[3]) >= 11]),
        "search_email": pick([{"q": r[4].split("@")[0] + "@", "expect": 'class="hit"'} for r in rows if r[4]]),
    }


def _cursors(user: Any, filters: dict[str, Any], sort: str, depth: int, count: int) -> list[str]:
    """Raw cursors of `count` consecutive pages starting `depth` rows into the filtered list (the
    API's read, whose cursors are the HTML list's too)."""
    from customers.selectors import customer_page_values

    def page(cursor: str | None, size: int) -> Any:
        return customer_page_values(user=user, filters=filters, fields=("id",), sort=sort, cursor=cursor, size=size)

    out = []
    cursor = page(None, depth).next_cursor
    while cursor and len(out) < count:
        out.append(cursor)
        cursor = page(cursor, 50).next_cursor
    return out


def _cards(user: Any, rnd: random.Random, want: int = 40) -> tuple[list[int], float]:
    """Customers whose card shows a full timeline page (50 items) when the data has them."""
    from django.db.models import Max, Min

    from core.timeline import DEFAULT_LIMIT, timeline_page
    from customers.models import Customer

    bounds = Customer.objects.aggregate(lo=Min("id"), hi=Max("id"))
    ids = list(Customer.objects.filter(
        pk__in=[rnd.randint(bounds["lo"], bounds["hi"]) for _ in range(600)], deleted_at__isnull=True
    ).values_list("id", flat=True))
    rnd.shuffle(ids)
    counted = []
    for pk in ids[:400]:
        counted.append((len(timeline_page(user=user, customer_id=pk, limit=DEFAULT_LIMIT).entries), pk))
        if sum(1 for n, _pk in counted if n >= DEFAULT_LIMIT) >= want:
            break
    counted.sort(reverse=True)
    chosen = counted[:want]
    return [pk for _n, pk in chosen], sum(n for n, _pk in chosen) / max(1, len(chosen))


def _inbox(user: Any, customer_ids: list[int], want: int = 1000) -> list[str]:
    """The bench user's inbox: `want` notifications (every fifth unread) about the sampled customers, made
    by notify() as the apps make them; returns cursors into it (the inbox pages the bench asks for)."""
    from django.utils import timezone

    from customers.models import Customer
    from work.models import Notification
    from work.selectors_notifications import inbox_page
    from work.services_notifications import notify

    have = Notification.objects.filter(recipient=user).count()
    customers = list(Customer.objects.filter(pk__in=customer_ids)) or [None]
    for i in range(have, want):
        notify(recipients=[user], event="work.reminder", obj=customers[i % len(customers)],
               context={"item": {"title": f"回电确认办理意向 {i}", "due": timezone.localdate()}})
    Notification.objects.filter(recipient=user).update(read_at=timezone.now())
    unread = list(Notification.objects.filter(recipient=user).order_by("id").values_list("id", flat=True)[::5])
    Notification.objects.filter(pk__in=unread).update(read_at=None)
    cursors, cursor = [], None
    for _ in range(20):
        page = inbox_page(user=user, cursor=cursor)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
        cursors.append(cursor)
    return cursors


def _calendar_team(rnd: random.Random, members: int = 10, appointments: int = 300) -> dict[str, Any]:
    """A team of `members` with `appointments` in the current week (with random customers, some
    overlapping): the calendar's team-view row. Made once; the next runs reuse it when it still
    holds the week's appointments."""
    from datetime import datetime, time, timedelta

    from django.db.models import Max, Min
    from django.utils import timezone

    from accounts.models import Team, User
    from customers.models import Customer
    from work.demo_calendar import DemoAppointment, write_appointments
    from work.models.calendar import AppointmentAttendee

    team, _created = Team.objects.get_or_create(name="bench calendar team")
    users = []
    for n in range(members):
        user, _new = User.objects.get_or_create(username=f"bench_cal_{n}", defaults={
            "role": "sales", "team": team, "is_demo": True})
        users.append(user.pk)
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    zone = timezone.get_default_timezone()
    start = datetime.combine(monday, time()).replace(tzinfo=zone)
    have = AppointmentAttendee.objects.filter(user_id__in=users, starts_at__gte=start,
                                              starts_at__lt=start + timedelta(days=7)).count()
    if have < appointments:
        bounds = Customer.objects.aggregate(lo=Min("id"), hi=Max("id"))
        rows = []
        for n in range(appointments):
            at = start + timedelta(days=n % 5, hours=9 + rnd.randrange(9), minutes=30 * rnd.randrange(2))
            rows.append(DemoAppointment(users[n % members], [], rnd.randint(bounds["lo"], bounds["hi"]),
                                        "visit", f"拜访 {n}", "客户公司", at, at + timedelta(hours=1)))
        write_appointments(rows)
    return {"team": team.pk, "dates": [(monday + timedelta(days=d)).isoformat() for d in range(7)]}


def fixture(seed: int) -> dict[str, Any]:
    from bench import prepare_churn, prepare_complaints, prepare_service_sla
    from bench.prepare_coverage import coverage_households
    from bench.prepare_requests import requests_fixture
    from bench.prepare_reviews import reviews_fixture
    from core.api import cursor_sign
    from customers.models import Customer, Tag

    rnd = random.Random(seed)
    user, password, token = _bench_user()
    vip = Tag.objects.filter(name="VIP").values_list("id", flat=True).first()
    city = "上海"
    lists = {
        "city": {"filters": {"city": city}, "sort": "name"},
        "tag": {"filters": {"tag": vip}, "sort": "-created"} if vip else None,
    }
    out_lists = {}
    for key, spec in lists.items():
        if spec is None:
            continue
        raw = _cursors(user, spec["filters"], spec["sort"], 10_000, 20)
        out_lists[key] = {**spec, "cursors": raw, "api_cursors": [cursor_sign(c, spec["sort"]) for c in raw]}
    cards, timeline_items = _cards(user, rnd)
    api_ids = list(Customer.objects.filter(pk__in=cards).values_list("id", flat=True)) or cards
    return {
        "username": user.username, "password": password, "token": token,
        "search": _samples(rnd), "lists": out_lists, "cards": cards, "api_ids": api_ids,
        "timeline_items": timeline_items, "customers": Customer.objects.count(),
        "calendar_team": _calendar_team(rnd),
        "plan_pages": _plan_pages(),
        "inbox_cursors": _inbox(user, cards),
        "service_requests": requests_fixture(rnd),
        "wealth_customer": _wealth_customer(rnd),
        "coverage_households": coverage_households(rnd),
        "churn": prepare_churn.churn_pages(),
        "service_agreements": prepare_service_sla.agreements(rnd),
        "complaints": prepare_complaints.fixture(rnd),
        "winback": prepare_winback.fixture(user),
        "reviews": reviews_fixture(user, rnd),
    }


def _wealth_customer(rnd: random.Random) -> int | None:
    from bench.prepare_wealth import wealth_customer

    return wealth_customer(rnd).get("customer")


def _plan_pages() -> list[dict[str, Any]]:
    """(team, month) of the monthly plan page: every team with members, this month and the last."""
    from datetime import timedelta

    from accounts.models import Team
    from work.selectors_plans import business_today, month_start

    this = month_start(business_today())
    months = [f"{this:%Y-%m}", f"{month_start(this - timedelta(days=1)):%Y-%m}"]
    teams = Team.objects.filter(members__is_active=True).distinct().values_list("pk", flat=True)
    return [{"team": team, "month": month} for team in teams for month in months]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench.prepare")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("meta")
    m = sub.add_parser("mark")
    m.add_argument("--values", required=True, help="JSON object to store")
    f = sub.add_parser("fixture")
    f.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    _setup()
    if args.command == "meta":
        out = meta()
    elif args.command == "mark":
        out = mark(json.loads(args.values))
    else:
        from django.db import transaction

        with transaction.atomic():
            out = fixture(args.seed)
    sys.stdout.write(json.dumps(out, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
