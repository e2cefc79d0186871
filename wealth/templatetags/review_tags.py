"""Filters of the asset review pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import number_format

from core.templatetags.money import money
from wealth.review_sheet import movement_label

register = template.Library()


@register.filter
def share(value: Decimal | None, signed: bool = False) -> str:
    """0.1234 → "12.3 %" (signed: "+12.3 %"); None → "—"."""
    if value is None:
        return "—"
    text = number_format(Decimal(value) * 100, 1, use_l10n=True)
    return f"+{text} %" if signed and value > 0 else f"{text} %"


@register.filter
def signed_money(value: Decimal | None) -> str:
    """A change of an amount with its sign: +1,234.50, −80.00, 0.00."""
    if value is None:
        return "—"
    text = money(abs(value))
    return f"+{text}" if value > 0 else f"−{text}" if value < 0 else text


@register.filter
def movement(value: Any) -> str:
    return movement_label(str(value))
