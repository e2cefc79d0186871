"""`{% load money %}` … `{{ amount|money }}`: amounts with thousands grouped by three and two
decimals (1,234,567.89), the way Chinese and English financial statements both write them
(Django's zh-hans number format has no grouping)."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


@register.filter
def money(value: Any, places: int = 2) -> str:
    if value is None or value == "":
        return ""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{number:,.{int(places)}f}"
