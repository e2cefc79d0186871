"""Decimals typed with trailing zeros, and unit prices shown with the places they have.

A spreadsheet or another system writes 9.77 as ``9.7700`` or ``9.770000``: the same number. Django's
decimal validator counts the places as written and would refuse ``9.770000`` for a field of four
places; the fields here take any value whose extra places are zeros (``trim``), and refuse only a
value that would lose a digit (``0.03501`` for four places). Model field and form field share the
rule, so the pages, the API (which reaches the model through the services' ``full_clean()``) and
imports (which clean cells through the form field) agree.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext as _

# The significant digits a decimal keeps on both databases: SQLite holds a decimal as an 8-byte
# float, so more digits come back rounded, and a value rounded up past its column's limit (assets
# 9999999999999999.99 becomes 1E+16) cannot be read back at all — every later read was a 500.
SAFE_DIGITS = 15


def storable_digits_errors(instance: models.Model, *names: str) -> dict[str, str]:
    """{field: message} for each decimal field of `instance` among `names` whose value has more
    whole digits than SAFE_DIGITS leaves beside the field's decimal places. Model clean() methods
    call it, so a page, an import and the API refuse such a value alike."""
    errors: dict[str, str] = {}
    for name in names:
        value = getattr(instance, name)
        field = instance._meta.get_field(name)
        places = getattr(field, "decimal_places", None)
        if not isinstance(value, Decimal) or not value.is_finite() or places is None:
            continue
        whole = SAFE_DIGITS - places
        if abs(value) >= Decimal(10) ** whole:
            errors[name] = _("At most %(digits)s digits before the decimal point.") % {"digits": whole}
    return errors


def trim(value: Any, places: int | None) -> Any:
    """`value` with at most `places` decimals when the further ones are zeros (9.770000 → 9.7700 for
    four places); anything else unchanged, for the validators to judge."""
    if not isinstance(value, Decimal) or places is None or not value.is_finite():
        return value
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or -exponent <= places:
        return value
    try:
        shorter = value.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        return value
    return shorter if shorter == value else value


class DecimalFormField(forms.DecimalField):
    """forms.DecimalField that takes trailing zeros beyond its places (see the module)."""

    def to_python(self, value: Any) -> Any:
        return trim(super().to_python(value), self.decimal_places)


class DecimalField(models.DecimalField):
    """models.DecimalField that takes trailing zeros beyond its places; its form field too."""

    def to_python(self, value: Any) -> Any:
        return trim(super().to_python(value), self.decimal_places)

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(**{"form_class": DecimalFormField, **kwargs})


class PriceInput(forms.NumberInput):
    """A number input for a unit price: any of its four places, shown as price_text() writes it."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"step": "0.0001", "min": "0", **(attrs or {})})

    def format_value(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            return price_text(value, grouped=False)
        return super().format_value(value)


def as_decimal(value: Any) -> Decimal | None:
    """`value` as a Decimal, None when it is empty or not a number (templates show it as it is)."""
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def price_text(value: Any, *, grouped: bool = True) -> str:
    """A unit price as people write it: two decimals, more only when it has them (up to the four a
    unit price keeps): 12 → "12.00", 9.7700 → "9.77", 0.0350 → "0.035". Grouped by thousands
    (1,234.50) unless `grouped` is False (JSON)."""
    number = as_decimal(value)
    if number is None:
        return "" if value is None else str(value)
    exponent = number.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{number:{',' if grouped else ''}.{places}f}"
