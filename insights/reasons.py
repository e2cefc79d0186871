"""The one-line reason beside a customer on the call list ("bought every 30 days, silent for 45 days").

Chosen at scoring time from the customer's own figures, vectorised over all customers, and stored
as a key with parameters, so that the line is rendered in the reader's language when shown.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Share of customers (by CLV) counted as "high value".
HIGH_VALUE_SHARE = 0.2
# Purchase likelihood from which a customer is "likely to buy".
LIKELY = 0.5
# A regular buyer is "due" from this fraction of their usual interval on, "overdue" past OVERDUE of it.
DUE = 0.8
OVERDUE = 1.5

REASON_KEYS = ("high_value_likely", "overdue", "due", "likely", "high_value", "once", "regular")


def reasons_choose(
    *, frequency: np.ndarray, interval_days: np.ndarray, silent_days: np.ndarray, likelihood: np.ndarray,
    clv: np.ndarray, period_days: int,
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """(reason key per customer, parameters per customer). The first rule that applies wins, in the
    order of REASON_KEYS: what makes the call most worth making comes first."""
    n = len(frequency)
    high_value = np.zeros(n, dtype=bool)
    if n:
        threshold = np.quantile(clv, 1 - HIGH_VALUE_SHARE)
        high_value = (clv >= threshold) & (clv > 0)
    likely = likelihood >= LIKELY
    regular = frequency >= 2  # three purchase days make a rhythm
    ratio = np.divide(silent_days, interval_days, out=np.zeros(n), where=interval_days > 0)
    rules = [
        ("high_value_likely", high_value & likely),
        ("overdue", regular & (ratio > OVERDUE)),
        ("due", regular & (ratio >= DUE)),
        ("likely", likely),
        ("high_value", high_value),
        ("once", frequency == 0),
    ]
    keys = np.full(n, "regular", dtype=object)
    decided = np.zeros(n, dtype=bool)
    for key, mask in rules:
        take = mask & ~decided
        keys[take] = key
        decided |= take
    percent = np.rint(likelihood * 100).astype(np.int64).tolist()
    every = np.rint(interval_days).astype(np.int64).tolist()
    silent = np.asarray(silent_days).astype(np.int64).tolist()
    count = (np.asarray(frequency).astype(np.int64) + 1).tolist()
    period = int(period_days)
    params = [
        {"every": e, "silent": d, "percent": p, "period": period, "count": c}
        for e, d, p, c in zip(every, silent, percent, count, strict=True)
    ]
    return keys, params


def reason_text(key: str, params: dict[str, Any]) -> str:
    """The reason in the current language; day counts agree with their number (1 day, 45 days)."""
    p = {"every": 0, "silent": 0, "percent": 0, "period": 30, "count": 1, **(params or {})}
    silent = int(p["silent"])
    if key == "high_value_likely":
        return _("High value, %(percent)s%% likely to buy in the next %(period)s days") % p
    if key == "overdue":
        return ngettext("Bought every %(every)s days, silent for %(silent)s day",
                        "Bought every %(every)s days, silent for %(silent)s days", silent) % p
    if key == "due":
        return ngettext("Bought every %(every)s days, last %(silent)s day ago: due now",
                        "Bought every %(every)s days, last %(silent)s days ago: due now", silent) % p
    if key == "likely":
        return _("%(percent)s%% likely to buy in the next %(period)s days") % p
    if key == "high_value":
        return ngettext("High value (top fifth), last purchase %(silent)s day ago",
                        "High value (top fifth), last purchase %(silent)s days ago", silent) % p
    if key == "once":
        return ngettext("Bought once, %(silent)s day ago", "Bought once, %(silent)s days ago", silent) % p
    return ngettext("%(count)s purchases, the last %(silent)s day ago",
                    "%(count)s purchases, the last %(silent)s days ago", silent) % p
