"""The churn page's bench fixture: the nightly churn refresh (timed: it must stay within the segment refresh's
budget + 30 s at 1M customers / 10M orders), then the page and cohort requests to measure."""

from __future__ import annotations

import sys
import time
from typing import Any


def churn_pages() -> dict[str, Any]:
    from retention.models.churn import ChurnDimension
    from retention.selectors_churn import PERIODS, breakdown_periods, churn_scope
    from retention.services_churn import churn_refresh

    started = time.perf_counter()
    result = churn_refresh()
    seconds = round(time.perf_counter() - started, 2)
    print(f"  churn refresh: {seconds} s ({result.events:,} losses, {result.rows:,} monthly rows; phases "
          f"{result.phases})", file=sys.stderr)  # stdout carries the fixture's JSON
    from accounts.models import User

    scope = churn_scope(User(role="admin"))
    pages = []
    for period in PERIODS:
        recent = [p for p, _label in breakdown_periods(scope=scope, period=period)[:3]]
        for dimension in ChurnDimension:
            if dimension == ChurnDimension.ALL:
                continue
            pages += [{"period": period, "by": dimension.value, "at": at} for at in recent[:1]]
    return {"refresh_seconds": seconds, "pages": pages}
