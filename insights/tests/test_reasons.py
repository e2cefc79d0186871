"""The call list's reason line in the reader's language, with days that agree with their number."""

from __future__ import annotations

import pytest
from django.utils import translation

from insights.reasons import reason_text

CASES = [
    ("overdue", {"every": 30, "silent": 143}, "Bought every 30 days, silent for 143 days",
     "每 30 天购买一次，已 143 天未购买"),
    ("overdue", {"every": 2, "silent": 1}, "Bought every 2 days, silent for 1 day", "每 2 天购买一次，已 1 天未购买"),
    ("due", {"every": 30, "silent": 25}, "Bought every 30 days, last 25 days ago: due now",
     "每 30 天购买一次，上次在 25 天前：正是时候"),
    ("once", {"silent": 1}, "Bought once, 1 day ago", "仅购买过一次，在 1 天前"),
    ("high_value", {"silent": 40}, "High value (top fifth), last purchase 40 days ago",
     "高价值客户（前 20%），上次购买在 40 天前"),
    ("regular", {"count": 3, "silent": 1}, "3 purchases, the last 1 day ago", "共购买 3 次，最近一次在 1 天前"),
]


@pytest.mark.parametrize(("key", "params", "en", "zh"), CASES)
def test_reason_names_the_days_in_both_languages(key, params, en, zh):
    with translation.override("en"):
        assert reason_text(key, params) == en
    with translation.override("zh-hans"):
        assert reason_text(key, params) == zh
