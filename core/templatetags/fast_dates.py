"""Date formatting for tags that build markup in Python (customer rows, timeline entries).

`date_formatter(fmt)` gives a function equal to django.utils.dateformat.format(value, fmt). Django's
formatter looks every specifier up by name on a Formatter object; a list page shows about a hundred
dates, and that cost more than the rest of a row. The usual date and time specifiers are compiled
once into plain string formatting; a format using any other specifier (P, a, F, … which translate
or compute) is handed to Django's formatter unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache

from django.utils import dateformat
from django.utils.dateformat import re_escaped, re_formatchars

# Specifier → (attribute of the value, printf format), as django.utils.dateformat.DateFormat has them.
_SIMPLE = {
    "d": ("day", "%02d"), "j": ("day", "%d"), "m": ("month", "%02d"), "n": ("month", "%d"),
    "Y": ("year", "%04d"), "H": ("hour", "%02d"), "G": ("hour", "%d"), "i": ("minute", "%02d"),
    "s": ("second", "%02d"),
}
_TIME = {"H", "G", "i", "s"}


@lru_cache(maxsize=64)
def date_formatter(fmt: str) -> Callable[[date | datetime], str]:
    """A function formatting a date or datetime as dateformat.format(value, fmt) does."""
    pieces = re_formatchars.split(fmt)
    specifiers = pieces[1::2]
    if any(s not in _SIMPLE for s in specifiers):
        return lambda value: dateformat.format(value, fmt)
    template = "".join(
        _SIMPLE[piece][1] if i % 2 else re_escaped.sub(r"\1", piece).replace("%", "%%")
        for i, piece in enumerate(pieces)
    )
    attributes = [_SIMPLE[s][0] for s in specifiers]
    needs_time = any(s in _TIME for s in specifiers)

    def format_value(value: date | datetime) -> str:
        if needs_time and not isinstance(value, datetime):
            return dateformat.format(value, fmt)  # Django's own error for a time of a date
        return template % tuple(getattr(value, a) for a in attributes)

    return format_value
