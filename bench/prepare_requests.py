"""The service desk's bench fixture: 10,000 open service requests (a team of 20 people and an unassigned
pile, due times spread around now, some overdue) and 10,000 published knowledge-base articles in Chinese
and English. Made once; later runs reuse what is there (counted, topped up)."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

OPEN_REQUESTS = 10_000
ARTICLES = 10_000
PEOPLE = 20

# Queries of the knowledge-base search: two-character Chinese words, longer Chinese, English words, two words.
KB_QUERIES = ["退款", "安装", "发票", "制冷", "滤芯", "洗衣机", "物流信息", "refund", "invoice", "filter",
              "warranty", "delivery address", "退货 条件"]


def _articles(rnd: random.Random) -> None:
    from django.db import transaction
    from django.utils import timezone

    from core.db import text_index_deferred
    from service.demo_knowledge import ARTICLES as SOURCES
    from service.models import ARTICLE_TEXT_INDEX, Article, ArticleStatus
    from service.services_knowledge import search_text

    have = Article.objects.count()
    if have >= ARTICLES:
        return
    now = timezone.now()
    rows = []
    for n in range(have, ARTICLES):
        category, zh_problem, zh_solution, en_problem, en_solution = SOURCES[n % len(SOURCES)]
        model = f"{rnd.choice('ABCDKMXZ')}{rnd.randint(100, 999)}"
        if n % 2:
            problem, solution, language = f"{en_problem} (model {model})", en_solution, "en"
        else:
            problem, solution, language = f"{zh_problem}（型号 {model}）", zh_solution, "zh-hans"
        rows.append(Article(problem=problem[:300], solution=solution, category=category, language=language,
                            status=ArticleStatus.PUBLISHED, published_version=1, published_at=now,
                            solved_count=rnd.randint(0, 40), search_text=search_text(problem, solution)))
    with transaction.atomic(), text_index_deferred(ARTICLE_TEXT_INDEX) as ranges:
        for start in range(0, len(rows), 2000):
            saved = Article.objects.bulk_create(rows[start:start + 2000])
            ranges.append((saved[0].pk, saved[-1].pk))


def _requests(rnd: random.Random) -> None:
    from django.db import transaction
    from django.db.models import Max, Min
    from django.utils import timezone

    from accounts.models import Team, User
    from customers.models import Customer
    from service.categories import ServiceCategory
    from service.choices import RequestPriority
    from service.models import OPEN_STATUSES, RequestStatus, ServiceRequest

    team, _created = Team.objects.get_or_create(name="bench service team")
    people = []
    for n in range(PEOPLE):
        user, _new = User.objects.get_or_create(username=f"bench_svc_{n}", defaults={
            "role": "service", "team": team, "is_demo": True})
        people.append(user.pk)
    have = ServiceRequest.objects.filter(status__in=OPEN_STATUSES).count()
    if have >= OPEN_REQUESTS:
        return
    bounds = Customer.objects.aggregate(lo=Min("id"), hi=Max("id"))
    now = timezone.now()
    rows = []
    categories, priorities = ServiceCategory.values, RequestPriority.values
    for n in range(OPEN_REQUESTS - have):
        received = now - timedelta(minutes=rnd.randint(10, 60 * 24 * 5))
        assignee = rnd.choice(people) if rnd.random() < 0.8 else None
        # Due from two days ago to three days ahead: about a third overdue, as on a busy desk.
        resolve_by = now + timedelta(minutes=rnd.randint(-60 * 48, 60 * 72))
        rows.append(ServiceRequest(
            customer_id=rnd.randint(bounds["lo"], bounds["hi"]), subject=f"服务请求 {n}",
            category=rnd.choice(categories), priority=rnd.choice(priorities),
            status=rnd.choice([RequestStatus.ASSIGNED, RequestStatus.IN_PROGRESS, RequestStatus.WAITING])
            if assignee else RequestStatus.NEW, assignee_id=assignee, received_at=received,
            acknowledge_by=received + timedelta(hours=2), resolve_by=resolve_by,
            sla_warned_at=now, sla_escalated_at=now))  # no notification storm from the bench's rows
    with transaction.atomic():
        ServiceRequest.objects.bulk_create(rows, batch_size=2000)


def requests_fixture(rnd: random.Random) -> dict[str, Any]:
    """Make (or top up) the service desk's data; what the bench's operations ask for."""
    from core.db import analyze

    _requests(rnd)
    _articles(rnd)
    analyze(["service_servicerequest", "service_article"])
    return {"board_modes": ["assignee", "due"], "kb_queries": KB_QUERIES}
