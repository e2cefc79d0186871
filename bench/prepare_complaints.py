"""The complaints part of the bench fixture: which complaint lists and analysis pages to request."""

from __future__ import annotations

import random
from typing import Any


def fixture(rnd: random.Random) -> dict[str, Any]:
    """(state, severity) pairs of the complaint list (web and API), the most common first and a few
    drawn at random, and the analysis years (this one and the last)."""
    from django.db.models import Count
    from django.utils import timezone

    from service.models.complaints import Complaint

    pairs = list(Complaint.objects.order_by().values_list("state", "severity").annotate(n=Count("pk"))
                 .order_by("-n")[:20])
    picked = [(s, v) for s, v, _n in pairs[:4]]
    rest = [(s, v) for s, v, _n in pairs[4:]]
    picked += rnd.sample(rest, min(4, len(rest)))
    year = timezone.localdate().year
    return {"lists": [{"state": s, "severity": v} for s, v in picked], "years": [year, year - 1]}
