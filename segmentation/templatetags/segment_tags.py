"""`{% load segment_tags %}`: shares as percentages for the segmentation pages."""

from typing import Any

from django import template

register = template.Library()


@register.filter
def percent(value: Any, places: int = 1) -> str:
    """0.0537 → "5.4%" (empty for None)."""
    if value is None or value == "":
        return ""
    try:
        return f"{float(value) * 100:.{int(places)}f}%"
    except (TypeError, ValueError):
        return ""
