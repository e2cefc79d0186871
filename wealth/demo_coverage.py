"""Demo insurance policies: person customers with a family get realistic household cover — most of
it sound, some with the gaps a relationship manager should call about — written in bulk."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from customers.choices import CustomerKind
from customers.models import Customer, FamilyMember
from wealth.models.coverage import InsurancePolicy, MemberIncome, PaymentMode, PolicyStatus, PolicyType

INSURERS = ("中国人寿", "平安人寿", "太平洋人寿", "新华保险", "泰康人寿", "友邦保险", "太平人寿")
# (type, sum insured range in CNY, premium as a share of the sum insured per year)
PLANS = {
    PolicyType.LIFE: ((500_000, 3_000_000), Decimal("0.006")),
    PolicyType.CRITICAL_ILLNESS: ((300_000, 1_000_000), Decimal("0.02")),
    PolicyType.MEDICAL: ((1_000_000, 6_000_000), Decimal("0.0003")),
    PolicyType.ACCIDENT: ((100_000, 1_000_000), Decimal("0.001")),
    PolicyType.ANNUITY: ((200_000, 1_000_000), Decimal("0.05")),
}
BATCH = 2000


def _policy(rng: random.Random, customer_id: int, member_id: int | None, kind: str, today: date,
            n: int) -> InsurancePolicy:
    (low, high), rate = PLANS[kind]
    sum_insured = Decimal(rng.randrange(low, high, 50_000))
    starts = today - timedelta(days=rng.randint(60, 3650))
    term_years = rng.choice([1, 1, 10, 20, 30]) if kind != PolicyType.LIFE else rng.choice([20, 30])
    ends = None if kind == PolicyType.LIFE and rng.random() < 0.4 else starts + timedelta(days=365 * term_years)
    if ends is not None and ends <= today:  # an expired one-year policy renewed: the current year
        starts = today - timedelta(days=rng.randint(1, 364))
        ends = starts + timedelta(days=365)
    roll = rng.random()
    status = PolicyStatus.PREMIUM_DUE if roll < 0.04 else PolicyStatus.LAPSED if roll < 0.07 else PolicyStatus.IN_FORCE
    mode = rng.choice([PaymentMode.ANNUAL, PaymentMode.ANNUAL, PaymentMode.MONTHLY, PaymentMode.SEMI_ANNUAL])
    per_year = {PaymentMode.ANNUAL: 1, PaymentMode.SEMI_ANNUAL: 2, PaymentMode.MONTHLY: 12}[mode]
    premium = (sum_insured * rate / per_year).quantize(Decimal("0.01"))
    return InsurancePolicy(
        customer_id=customer_id, insured_member_id=member_id, insurer=rng.choice(INSURERS), policy_type=kind,
        policy_number=f"DEMO{customer_id:07d}{n:02d}", starts_on=starts, ends_on=ends, sum_insured=sum_insured,
        premium=premium, currency="CNY", payment_mode=mode, status=status,
        critical_illness_covered=(kind == PolicyType.CRITICAL_ILLNESS
                                  or (kind == PolicyType.LIFE and rng.random() < 0.3)))


def generate(*, first_customer_id: int, last_customer_id: int, seed: int, progress: Callable[..., Any],
             parallel: bool | None = None) -> dict[str, float]:
    """Policies for person customers first..last that have a family (about 60% of them get cover;
    the rest are the uninsured households the gap rules find), then their gap summaries."""
    from wealth.services_coverage import gap_summaries_refresh

    started = timezone.now()
    rng = random.Random(seed * 104_729 + first_customer_id)
    today = timezone.localdate()
    members: dict[int, list[tuple[int, str, int | None]]] = {}
    for pk, customer_id, relation, age in (
            FamilyMember.objects.filter(customer_id__gte=first_customer_id, customer_id__lte=last_customer_id,
                                        deleted_at__isnull=True).values_list("pk", "customer_id", "relation", "age")
            .iterator(chunk_size=10_000)):
        members.setdefault(customer_id, []).append((pk, relation, age))
    # The range's person customers that have a family (a range query: an IN list of every customer with a
    # family is more variables than SQLite takes at a million customers).
    ids = [pk for pk in Customer.objects.filter(pk__gte=first_customer_id, pk__lte=last_customer_id,
                                                kind=CustomerKind.PERSON, deleted_at__isnull=True)
           .order_by("pk").values_list("pk", flat=True).iterator(chunk_size=10_000) if pk in members]
    progress("policies", 0, len(ids))
    rows: list[InsurancePolicy] = []
    for customer_id in ids:
        if rng.random() < 0.4:
            continue
        n = 0
        for kind in (PolicyType.LIFE, PolicyType.CRITICAL_ILLNESS, PolicyType.MEDICAL):
            if rng.random() < 0.75:
                rows.append(_policy(rng, customer_id, None, kind, today, n))
                n += 1
        for pk, relation, _age in members[customer_id]:
            if relation == "spouse" and rng.random() < 0.6:
                rows.append(_policy(rng, customer_id, pk, rng.choice([PolicyType.CRITICAL_ILLNESS, PolicyType.LIFE]),
                                    today, n))
                n += 1
            elif relation in ("child", "parent") and rng.random() < 0.7:
                kind = PolicyType.MEDICAL if relation == "parent" or rng.random() < 0.5 else PolicyType.ACCIDENT
                rows.append(_policy(rng, customer_id, pk, kind, today, n))
                n += 1
    InsurancePolicy.objects.bulk_create(rows, batch_size=BATCH)
    # Half the customers told their relationship manager what they earn: the life-cover rule weighs it.
    incomes = [MemberIncome(customer_id=customer_id, annual_income=Decimal(rng.randrange(120_000, 1_500_000, 10_000)),
                            currency="CNY") for customer_id in ids if rng.random() < 0.5]
    MemberIncome.objects.bulk_create(incomes, batch_size=BATCH, ignore_conflicts=True)
    # Every person customer of the range has a household (one without family too): their gaps.
    people = list(Customer.objects.filter(pk__gte=first_customer_id, pk__lte=last_customer_id,
                                          kind=CustomerKind.PERSON, deleted_at__isnull=True)
                  .order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(people), BATCH):
        gap_summaries_refresh(people[start:start + BATCH], today=today)
    progress("policies", len(ids), len(ids))
    return {"policies": (timezone.now() - started).total_seconds()}
