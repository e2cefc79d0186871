"""Spreadsheet conventions → the plain values kehu's forms accept.

This is not validation (the forms and models do that, with their own messages): it only reads what
spreadsheets produce — Excel dates, 2024/3/5 or 2024年3月5日, "1,234.50", "¥99", "15%", 是/否, choice
labels in either language — into the strings or objects the form fields parse.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils import timezone, translation

_FORMULA_START = ("=", "+", "-", "@")
_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
_DATE_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
_DATETIME = re.compile(
    r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?[\sT]+(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2}))?"
)
_NUMBER_NOISE = re.compile(r"[\s,，¥￥$€£元]")
_SPLIT = re.compile(r"\s*[,，;；、|]\s*")

TRUE_WORDS = {"1", "true", "yes", "y", "t", "是", "对", "√", "✓", "on"}
FALSE_WORDS = {"0", "false", "no", "n", "f", "否", "不", "×", "off", ""}


def text(value: Any) -> str:
    """A cell as stripped text. Our own exports put ' before formula-like text: it is removed again."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    out = str(value).strip()
    if out.startswith("'") and out[1:2] in _FORMULA_START:
        out = out[1:]
    return out


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def to_date(value: Any) -> Any:
    """The usual Chinese and ISO spellings → a date (or "YYYY-MM-DD" for an impossible one); else unchanged."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    m = _DATE.match(raw) or _DATE_COMPACT.match(raw)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        try:
            return date(y, mo, d)
        except ValueError:  # 2 February 30th: the form field says what is wrong
            return f"{y:04d}-{mo:02d}-{d:02d}"
    m = _DATETIME.match(raw)
    if m:
        y, mo, d = (int(g) for g in m.groups()[:3])
        return f"{y:04d}-{mo:02d}-{d:02d}"
    return raw


def to_datetime(value: Any) -> Any:
    """datetime objects (naive ones in the site's time zone) and common spellings → an ISO string."""
    if isinstance(value, datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value.isoformat()
    if isinstance(value, date):
        return f"{value.isoformat()} 00:00"
    raw = text(value)
    m = _DATETIME.match(raw)
    if m:
        y, mo, d, h, mi, s = (int(g or 0) for g in m.groups())
        return f"{y:04d}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:{s:02d}"
    m = _DATE.match(raw) or _DATE_COMPACT.match(raw)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        return f"{y:04d}-{mo:02d}-{d:02d} 00:00"
    return raw


def to_decimal(value: Any, *, percent: bool = False) -> Any:
    """"1,234.50", "¥99", "15%" (→ 0.15 when `percent`) → a decimal string; else unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    raw = _NUMBER_NOISE.sub("", text(value))
    if percent and raw.endswith(("%", "％")):
        try:
            return str(Decimal(raw[:-1]) / 100)
        except InvalidOperation:
            return text(value)
    return raw


def to_bool(value: Any) -> Any:
    """是/否, yes/no, 1/0, true/false → a bool; anything else unchanged (the field rejects it)."""
    if isinstance(value, bool):
        return value
    raw = text(value).lower()
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    return value


def split_list(value: Any) -> list[str]:
    """"VIP, 展会2026；重点" → ["VIP", "展会2026", "重点"]."""
    return [p for p in _SPLIT.split(text(value)) if p]


def normal_key(value: str) -> str:
    """Lower case without spaces or punctuation, for comparing headers and labels."""
    return re.sub(r"[\s_\-:：*（）()\[\]【】/\\.。·'’]+", "", str(value).lower())


def choice_lookup(choices: Iterable[tuple[Any, Any]]) -> dict[str, Any]:
    """{normalised value or label in every language: value} for a field's choices."""
    out: dict[str, Any] = {}
    pairs = [(v, label) for v, label in choices if v not in ("", None)]
    for value, _label in pairs:
        out[normal_key(str(value))] = value
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for value, label in pairs:
                key = normal_key(str(label))
                out.setdefault(key, value)
                # "4 – Warm": the leading number alone is not enough (it is the value), the word is.
                if "–" in str(label):
                    out.setdefault(normal_key(str(label).split("–", 1)[1]), value)
    return out
