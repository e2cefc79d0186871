"""Bench fixture of the wealth desk's coverage part: households to open (the customers with the most
policies, and some with stored gaps), for the household coverage page and its API read."""

from __future__ import annotations

import random
from typing import Any


def coverage_households(rnd: random.Random, count: int = 20) -> list[int]:
    from django.db.models import Count

    from wealth.models.coverage import CoverageGapSummary, InsurancePolicy

    busiest = list(InsurancePolicy.objects.values("customer_id").annotate(n=Count("id")).order_by("-n")
                   .values_list("customer_id", flat=True)[: count // 2])
    with_gaps: list[Any] = list(CoverageGapSummary.objects.order_by("customer_id")
                                .values_list("customer_id", flat=True)[:1000])
    rnd.shuffle(with_gaps)
    return list(dict.fromkeys([*busiest, *with_gaps[: count - len(busiest)]]))
