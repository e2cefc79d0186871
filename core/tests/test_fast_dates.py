"""core.templatetags.fast_dates.date_formatter formats exactly as Django's dateformat.format."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.utils import dateformat, translation
from django.utils.formats import get_format

from core.templatetags.fast_dates import date_formatter

VALUES = [datetime(2026, 3, 4, 5, 6, 7), datetime(999, 12, 31, 23, 59, 1), datetime(2026, 11, 29, 12, 0, tzinfo=UTC),
          date(2026, 1, 2), date(5, 10, 20)]


def _both(fmt, value):
    out = []
    for fn in (lambda v: dateformat.format(v, fmt), date_formatter(fmt)):
        try:
            out.append(fn(value))
        except Exception as exc:  # noqa: BLE001 (the same error either way is part of the contract)
            out.append(type(exc))
    return out


@pytest.mark.parametrize(
    "fmt", ["Y年n月j日", "Y年n月j日 H:i", "m/d/Y", "m/d/Y P", "d.m.y G:i:s", r"\Y\m Y-m-d %s %%", "c", "N j, Y", ""]
)
def test_same_text_as_django(fmt):
    for value in VALUES:
        django_text, fast_text = _both(fmt, value)
        assert django_text == fast_text, (fmt, value)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_locale_formats_the_lists_use(language):
    with translation.override(language):
        for name in ("SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT", "DATE_FORMAT"):
            fmt = get_format(name)
            for value in VALUES[:3]:
                assert date_formatter(fmt)(value) == dateformat.format(value, fmt)
