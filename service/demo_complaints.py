"""Demo complaints (`kehu demo`, via core.registry "demo_generators"): a service history whose
complaints carry signal for the churn model — customers who later stopped buying (core.demo traits
`churned`) complain about five times as often, and their complaints were handled worse (late
acknowledgement, slow resolution, a dissatisfied reaction); the others' are mostly handled well.
Written in bulk (no services, no per-row audit); same seed, same complaints, measured from today.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from core.demo import traits
from customers.models import Customer
from service import complaint_workflow as workflow
from service.choices import Severity
from service.complaint_workflow import ComplaintState as S
from service.models.complaints import (
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintStep,
    CustomerReaction,
    RecoveryAction,
    RootCause,
)
from service.services_complaints import flag_refresh, set_deadlines

_WHAT = {
    ComplaintCategory.PRODUCT: ["产品收益与宣传不符", "保单条款与介绍不一致", "产品到期兑付延迟"],
    ComplaintCategory.DELIVERY: ["合同寄送延误", "资料迟迟未到"],
    ComplaintCategory.BILLING: ["手续费扣款有误", "账单金额不对"],
    ComplaintCategory.ATTITUDE: ["客户经理态度冷淡", "电话多次无人接听"],
    ComplaintCategory.ADVICE: ["推荐产品风险过高", "理财建议不清楚"],
    ComplaintCategory.WAITING: ["柜台排队过久", "理赔等待时间太长"],
    ComplaintCategory.OTHER: ["其他问题"],
}
_WANTS = ["尽快退还多扣的费用", "希望有人解释清楚", "要求书面道歉", "希望更换客户经理", "想要补偿",
          "只希望问题不再发生"]
_SEVERITY_WEIGHTS = [(Severity.LOW, 3), (Severity.MEDIUM, 5), (Severity.HIGH, 2), (Severity.CRITICAL, 0.5)]


def _pick(rng: random.Random, weighted: list[tuple[Any, float]]) -> Any:
    return rng.choices([v for v, _w in weighted], weights=[w for _v, w in weighted])[0]


def generate(*, first_customer_id: int, last_customer_id: int, seed: int, progress: Callable[..., Any],
             parallel: bool | None = None) -> dict[str, float]:
    started = timezone.now()
    rng = random.Random(seed * 104729 + first_customer_id)
    now = timezone.now()
    rows = list(Customer.objects.filter(pk__gte=first_customer_id, pk__lte=last_customer_id, deleted_at__isnull=True)
                .order_by("pk").values_list("pk", "owner_id"))
    if not rows:
        return {"complaints": 0.0}
    ids = np.array([pk for pk, _o in rows], dtype=np.int64)
    churned = traits(seed, ids).churned
    progress("complaints", 0, len(rows))
    complaints: list[Complaint] = []
    outcomes: list[tuple[bool, int | None]] = []
    for (pk, owner), gone in zip(rows, churned.tolist(), strict=True):
        count = sum(rng.random() < (0.35 if gone else 0.07) for _i in range(3))
        for _n in range(count):
            category = rng.choice(list(_WHAT))
            # Churned customers complained before they left; the others over the last year, some this
            # fortnight (the desk's open complaints).
            days = rng.uniform(200, 540) if gone else (rng.uniform(0, 14) if rng.random() < 0.15
                                                       else rng.uniform(0, 400))
            received = now - timedelta(days=days, minutes=rng.randint(0, 600))
            c = Complaint(customer_id=pk, owner_id=owner, created_by_id=owner,
                          channel=rng.choice(ComplaintChannel.values),
                          category=category, severity=_pick(rng, _SEVERITY_WEIGHTS),
                          description=rng.choice(_WHAT[category]), wanted=rng.choice(_WANTS), received_at=received)
            set_deadlines(c)
            complaints.append(c)
            outcomes.append((gone, owner))
    steps: list[ComplaintStep] = []
    for c, (gone, _owner) in zip(complaints, outcomes, strict=True):
        handled_badly = rng.random() < (0.6 if gone else 0.15)
        ack_share = rng.uniform(1.2, 4) if handled_badly else rng.uniform(0.1, 0.9)
        ack_span = (c.acknowledge_by - c.received_at) * ack_share
        res_share = rng.uniform(1.1, 3) if handled_badly else rng.uniform(0.3, 0.95)
        res_span = (c.resolve_by - c.received_at) * res_share
        path = [S.RECEIVED]
        recent = now - c.received_at < timedelta(days=14)
        final = rng.choice([S.RECEIVED, S.ACKNOWLEDGED, S.INVESTIGATING]) if recent else S.CLOSED
        at = {S.RECEIVED: c.received_at}
        for state, offset in ((S.ACKNOWLEDGED, ack_span), (S.INVESTIGATING, ack_span + timedelta(hours=1)),
                              (S.RESOLVED, max(res_span, ack_span + timedelta(hours=2))),
                              (S.INFORMED, max(res_span, ack_span) + timedelta(hours=3)),
                              (S.FOLLOWED_UP, max(res_span, ack_span) + timedelta(days=3)),
                              (S.CLOSED, max(res_span, ack_span) + timedelta(days=4))):
            if path[-1] == final or c.received_at + offset > now:
                break
            path.append(state)
            at[state] = c.received_at + offset
        c.state = path[-1]
        c.acknowledged_at, c.resolved_at, c.closed_at = at.get(S.ACKNOWLEDGED), at.get(S.RESOLVED), at.get(S.CLOSED)
        if c.acknowledged_at:
            c.minutes_to_acknowledge = int((c.acknowledged_at - c.received_at).total_seconds() // 60)
        if c.resolved_at:
            c.minutes_to_resolve = int((c.resolved_at - c.received_at).total_seconds() // 60)
            c.recovery_action = rng.choice(RecoveryAction.values)
            if c.recovery_action == RecoveryAction.COMPENSATION:
                c.compensation = Decimal(rng.choice([50, 100, 200, 300, 800]))
        if c.state in (S.FOLLOWED_UP, S.CLOSED):
            c.reaction = (CustomerReaction.DISSATISFIED if handled_badly and rng.random() < 0.8
                          else rng.choice([CustomerReaction.SATISFIED, CustomerReaction.SATISFIED,
                                           CustomerReaction.NEUTRAL]))
        if c.state == S.CLOSED:
            c.root_cause = rng.choice(RootCause.values)
        # Old alarms are history: mark them sent so the first job run does not escalate last year.
        if c.state not in workflow.OPEN_STATES or c.acknowledge_by < now:
            c.ack_warned_at = c.ack_escalated_at = c.received_at
        if c.state not in workflow.OPEN_STATES or c.resolve_by < now:
            c.resolve_warned_at = c.resolve_escalated_at = c.received_at
        c._path = [(s, at[s]) for s in path]  # type: ignore[attr-defined]
    with transaction.atomic():
        Complaint.objects.bulk_create(complaints, batch_size=2000)
        for c, (_gone, owner) in zip(complaints, outcomes, strict=True):
            previous = ""
            for state, when in c._path:  # type: ignore[attr-defined]
                steps.append(ComplaintStep(complaint_id=c.pk, from_state=previous, to_state=state, actor_id=owner,
                                           at=when))
                previous = state
        ComplaintStep.objects.bulk_create(steps, batch_size=5000)
        flag_refresh(customer_ids=[pk for pk, _o in rows])
    progress("complaints", len(rows), len(rows))
    return {"complaints": (timezone.now() - started).total_seconds()}
