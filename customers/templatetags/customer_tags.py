"""Presentation helpers of the customer pages: money, the card's blocks, search labels."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.masking import MASK, mask_phone
from customers.forms import CUSTOMER_BLOCKS

register = template.Library()

# Symbols used in Chinese; English pages spell the ISO code (¥ alone is ambiguous with JPY there).
_ZH_SYMBOLS = {"CNY": "¥", "USD": "US$", "EUR": "€", "GBP": "£", "HKD": "HK$", "JPY": "JP¥"}


@register.filter
def money(value: Any, currency: str = "CNY") -> str:
    """1234567 → "¥1,234,567.00" (Chinese) or "CNY 1,234,567.00" (English); masked values as they are."""
    if value is None or value == "":
        return ""
    if isinstance(value, str) and MASK in value:
        return value
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    currency = (currency or "CNY").upper()
    number = f"{amount:,.2f}"
    if (get_language() or "").startswith("zh") and currency in _ZH_SYMBOLS:
        return f"{_ZH_SYMBOLS[currency]}{number}"
    return f"{currency} {number}"


@register.filter
def glance_phone(value: str) -> str:
    """A phone as shown in the header search dropdown: always masked (138****5678)."""
    if not value or MASK in value:
        return value
    return mask_phone(value)


MATCH_LABELS = {
    "name": _("name"),
    "pinyin": _("pinyin"),
    "initials": _("pinyin initials"),
    "phone": _("phone"),
    "email": _("email"),
}


@register.filter
def match_label(key: str) -> str:
    return str(MATCH_LABELS.get(key, key))


def _display(customer: Any, name: str) -> str:
    field = customer._meta.get_field(name)
    value = getattr(customer, name)
    if value in (None, ""):
        return ""
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if name == "assets":
        return money(value, customer.assets_currency)
    if isinstance(value, datetime):
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "DATE_FORMAT")
    return str(value)


@register.simple_tag
def customer_blocks(customer: Any) -> list[dict[str, Any]]:
    """The card's blocks for dl.facts: [{legend, rows: [(label, value)]}], skipping the part of the
    other kind (a person has no legal form)."""
    blocks = []
    for key, legend, names, kind in CUSTOMER_BLOCKS:
        if kind and kind != customer.kind:
            continue
        rows = [
            (customer._meta.get_field(n).verbose_name, _display(customer, n))
            for n in names
            if n not in ("kind", "name", "assets_currency")
        ]
        blocks.append({"key": key, "legend": legend, "rows": rows})
    return blocks


@register.filter
def score_label(contact: Any, field: str) -> Any:
    """The value of one of a contact's score fields (used with KEY_PERSON_DIMENSIONS)."""
    return getattr(contact, field, None)


@register.simple_tag
def customer_rows(customers: list[Any], selectable: Any = None) -> str:
    """The <tr> rows of the customer list, built in Python: the hottest list in the product renders 50
    rows of ten cells, and per-cell template nodes (url, blocktranslate, date filters) cost more than
    the page's queries. Same markup as a template loop would give; values are escaped here."""
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.html import conditional_escape as esc
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext

    if not customers:
        return ""
    card = reverse("customers:customer_detail", args=[0])[:-2]  # "/customers/": the card is <card><pk>/
    select = gettext("Select %(name)s")
    stale = gettext("stale")
    now = timezone.now()

    def day(value: datetime | None) -> str:
        return formats.date_format(timezone.localtime(value), "SHORT_DATE_FORMAT") if value else ""

    rows = []
    for c in customers:
        name = esc(c.name)
        check = (f'<td class="check"><input type="checkbox" name="ids" value="{c.pk}" '
                 f'aria-label="{esc(select % {"name": c.name})}"></td>') if selectable else ""
        industry = f'<div class="muted small">{esc(c.industry)}</div>' if c.industry else ""
        tags = "".join(f'<span class="tag">{esc(t.name)}</span>' for t in c.tags.all())
        badge = f' <span class="badge warn">{esc(stale)}</span>' if c.is_stale(now) else ""
        rows.append(
            f'<tr>{check}<td class="name"><a href="{card}{c.pk}/">{name}</a>{industry}</td>'
            f'<td><span class="kind kind-{esc(c.kind)}">{esc(c.get_kind_display())}</span></td>'
            f'<td>{esc(c.city)}</td><td class="nowrap">{esc(c.phone)}</td><td>{esc(str(c.owner))}</td>'
            f'<td>{esc(str(c.team)) if c.team else ""}</td><td>{tags}</td>'
            f'<td class="nowrap">{day(c.created_at)}</td>'
            f'<td class="nowrap">{day(c.last_verified_at)}{badge}</td></tr>'
        )
    return mark_safe("\n".join(rows))  # noqa: S308 (every value above is escaped)
