"""Demo service agreements (`kehu demo`, via core.registry "demo_generators"): about one organisation
customer in six has an agreement — most in force (some expiring within the reminder period, so the
list and the reminders have something to show), some expired, a few renewed by a later one — and
the higher levels grant faster SLA times than the defaults. Same seed, same agreements, measured
from today. Written in bulk, no services, no per-row audit entries."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from customers.models import Customer
from service.models import ServiceAgreement
from service.models.sla import AgreementLevel

# What each level grants (acknowledge, resolve in working minutes); basic grants nothing (defaults).
_GRANTS: dict[str, dict[str, dict[str, list[int]]]] = {
    AgreementLevel.BASIC: {},
    AgreementLevel.STANDARD: {"complaint": {"critical": [30, 240], "high": [60, 480]}},
    AgreementLevel.PREMIUM: {"complaint": {"critical": [15, 240], "high": [30, 480], "medium": [120, 960]},
                             "request": {"urgent": [30, 240], "high": [60, 480]}},
    AgreementLevel.STRATEGIC: {"complaint": {"critical": [10, 120], "high": [15, 240], "medium": [60, 480],
                                             "low": [240, 960]},
                               "request": {"urgent": [15, 120], "high": [30, 240], "normal": [120, 960]}},
}
_TERMS = {
    AgreementLevel.BASIC: "工作日 9:00–18:00 电话与邮件支持；年度回访一次。",
    AgreementLevel.STANDARD: "工作日电话、邮件支持；紧急投诉 4 个工作小时内解决；季度回访。",
    AgreementLevel.PREMIUM: "专属客户经理；紧急问题 15 分钟内响应；每月服务报告；年度上门巡检两次。",
    AgreementLevel.STRATEGIC: "专属服务团队；紧急问题 10 分钟内响应、2 个工作小时内解决；季度业务回顾；备件优先保障。",
}
_LEVELS = [AgreementLevel.BASIC, AgreementLevel.STANDARD, AgreementLevel.STANDARD, AgreementLevel.PREMIUM,
           AgreementLevel.STRATEGIC]


def generate(*, first_customer_id: int, last_customer_id: int, seed: int, progress: Callable[..., Any],
             parallel: bool | None = None) -> dict[str, float]:
    """Write demo agreements for organisation customers first..last. Returns seconds per phase."""
    started = timezone.now()
    rng = random.Random(seed * 104729 + first_customer_id)
    today = timezone.localdate()
    customers = (Customer.objects.filter(pk__gte=first_customer_id, pk__lte=last_customer_id,
                                         deleted_at__isnull=True, kind="organisation")
                 .order_by("pk").values_list("pk", "owner_id"))
    rows: list[ServiceAgreement] = []
    chosen = [(pk, owner) for pk, owner in customers.iterator(chunk_size=10_000) if rng.random() < 1 / 6]
    progress("service agreements", 0, len(chosen))
    for n, (pk, owner) in enumerate(chosen, start=1):
        level = rng.choice(_LEVELS)
        shape = rng.random()
        if shape < 0.2:  # expired, not renewed
            ends = today - timedelta(days=rng.randint(1, 120))
        elif shape < 0.4:  # expiring within the reminder period
            ends = today + timedelta(days=rng.randint(0, 29))
        else:
            ends = today + timedelta(days=rng.randint(30, 700))
        # Signed in the past: a one- to three-year term, or from a recent day when that would be in the future.
        term = timedelta(days=365 * rng.choice([1, 1, 2, 3]) - 1)
        starts = min(ends - term, today - timedelta(days=rng.randint(0, 90)))
        number = f"SA-{starts:%Y}-{pk:06d}"
        rows.append(ServiceAgreement(customer_id=pk, number=number, level=level, starts_on=starts, ends_on=ends,
                                     terms=_TERMS[level], sla=_GRANTS[level], created_by_id=owner))
        if shape < 0.1 and level != AgreementLevel.BASIC:  # an older agreement this one renewed
            rows.append(ServiceAgreement(customer_id=pk, number=f"SA-{starts.year - 1}-{pk:06d}", level=level,
                                         starts_on=starts - timedelta(days=365), ends_on=starts - timedelta(days=1),
                                         terms=_TERMS[level], sla=_GRANTS[level], created_by_id=owner))
        if n % 1000 == 0:
            progress("service agreements", n, len(chosen))
    with transaction.atomic():
        ServiceAgreement.objects.bulk_create(rows, batch_size=2000)
    progress("service agreements", len(chosen), len(chosen))
    return {"service agreements": (timezone.now() - started).total_seconds()}
