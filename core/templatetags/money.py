"""`{% load money %}` … `{{ amount|money }}`, `{{ unit_price|price }}`: amounts with thousands grouped by three and two
decimals (1,234,567.89), the way Chinese and English financial statements both write them
(Django's zh-hans number format has no grouping)."""

from typing import Any

from django import template

from core.decimals import as_decimal, price_text

register = template.Library()


@register.filter
def money(value: Any, places: int = 2) -> str:
    number = as_decimal(value)
    if number is None:
        return "" if value is None else str(value)
    return f"{number:,.{int(places)}f}"


@register.filter
def price(value: Any) -> str:
    """A unit price: grouped like money, two decimals or the up to four it has (0.035, 9.77)."""
    return price_text(value)
