"""Demo monthly targets (`kehu demo`, via core.registry "demo_generators").

Managers in a real company set next month's targets from the last month's results; the demo does the
same: for the last two months and this one, each salesperson's target of every plan metric is the
previous month's actual plus 10 % (counts rounded up to whole numbers, at least 1; amounts to
hundreds), and the team's target is the sum of its members'. The actuals are measured by the plan
metrics themselves, so this generator runs after the ones that write the activity (`runs_last`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

GROWTH = Decimal("1.1")
MONTHS = 3


def _target(actual: Decimal, unit: str) -> Decimal:
    from work.plan_registry import COUNT

    grown = actual * GROWTH
    if unit == COUNT:
        return Decimal(max(1, math.ceil(grown)))
    return Decimal(max(100, math.ceil(grown / 100) * 100))


def generate(*, first_customer_id: int, last_customer_id: int, seed: int, progress: Callable[..., Any],
             **_kwargs: Any) -> dict[str, float]:
    """Write the demo targets of every team and its members (the customer range is not used: targets
    are per person). Running it again replaces the demo months' targets."""
    import time

    from accounts.models import Team, User
    from accounts.roles import OWNER_ROLES
    from work import plan_registry as reg
    from work.models import Target
    from work.selectors_plans import business_today, month_end, month_start

    started = time.monotonic()
    teams = list(Team.objects.all())
    members: dict[int, list[int]] = {t.pk: [] for t in teams}
    for uid, team_id in User.objects.filter(is_active=True, team__isnull=False, role__in=OWNER_ROLES,
                                            is_superuser=False).values_list("pk", "team_id"):
        members[team_id].append(uid)
    user_ids = [u for ids in members.values() for u in ids]
    this_month = month_start(business_today())
    months = [this_month]
    for _n in range(MONTHS - 1):
        months.insert(0, month_start(months[0] - timedelta(days=1)))
    progress("targets", 0, len(months))
    rows: list[Target] = []
    for done, month in enumerate(months):
        before = month_start(month - timedelta(days=1))
        for metric in reg.metrics():
            actual = metric.actual(user_ids, before, month_end(before))
            per_user = {uid: _target(Decimal(actual.get(uid, 0)), metric.unit) for uid in user_ids}
            rows += [Target(month=month, user_id=uid, metric=metric.key, value=value)
                     for uid, value in per_user.items()]
            for team in teams:
                if members[team.pk]:
                    rows.append(Target(month=month, team=team, metric=metric.key, set_by_id=team.manager_id,
                                       value=sum((per_user[u] for u in members[team.pk]), Decimal(0))))
        progress("targets", done + 1, len(months))
    managers = {uid: t.manager_id for t in teams for uid in members[t.pk]}
    for row in rows:
        if row.user_id is not None:
            row.set_by_id = managers.get(row.user_id)
    with transaction.atomic():
        Target.objects.filter(month__in=months).delete()
        Target.objects.bulk_create(rows, batch_size=1000)
    return {"targets": time.monotonic() - started}


generate.runs_last = True  # type: ignore[attr-defined]  # measures the activity the other generators write
