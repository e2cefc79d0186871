"""Presentation helpers of the customer pages: money, the card's blocks, search labels."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.formats import get_format
from django.utils.html import conditional_escape as esc
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.masking import MASK, mask_phone
from core.templatetags.fast_dates import date_formatter
from customers.choices import CustomerKind
from customers.forms import CUSTOMER_BLOCKS, DATA_SHOWS_BLOCK, phone_label
from customers.models import Customer

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
    "wechat": _("WeChat ID"),
    "id_number": _("ID number"),
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
    """The card's blocks for dl.facts: [{legend, rows: [(label, value)]}], skipping the parts of the
    other kind (a person has no legal form, no sales capacity; DATA_SHOWS_BLOCK when filled)."""
    blocks = []
    for key, legend, names, kind in CUSTOMER_BLOCKS:
        rows = [
            (_label(customer, n), _display(customer, n))
            for n in names
            if n not in ("kind", "name", "assets_currency")
        ]
        if kind and kind != customer.kind and (key not in DATA_SHOWS_BLOCK or not any(v for _l, v in rows)):
            continue
        blocks.append({"key": key, "legend": legend, "rows": rows})
    return blocks


def _label(customer: Any, name: str) -> Any:
    return phone_label(customer.kind) if name == "phone" else customer._meta.get_field(name).verbose_name


@register.filter
def customer_phone_label(customer: Any) -> str:
    """The phone's label: mobile phone (手机) for a person, phone (电话, a landline) for an organisation."""
    return phone_label(customer.kind)


@register.simple_tag
def customer_blocks_html(customer: Any) -> str:
    """The card's blocks (customer_blocks) as markup: what a template loop over the blocks and their
    rows gave, whitespace included (about fifty rows of three template nodes each cost the card
    more than its queries). Labels and values are escaped here."""
    out = []
    for block in customer_blocks(customer):
        rows = "".join(
            f'\n        <dt>{esc(capfirst(label))}</dt><dd>{esc(value) if value else MISSING}</dd>\n        '
            for label, value in block["rows"]
        )
        out.append(f'\n    <div class="card block block-{esc(block["key"])}">\n      <h2>{esc(block["legend"])}</h2>\n'
                   f'      <dl class="facts">\n        {rows}\n      </dl>\n    </div>\n  ')
    return mark_safe("".join(out))  # noqa: S308 (every value above is escaped)


MISSING = '<span class="muted">—</span>'


@register.filter
def score_label(contact: Any, field: str) -> Any:
    """The value of one of a contact's score fields (used with KEY_PERSON_DIMENSIONS)."""
    return getattr(contact, field, None)


def _local_day(fmt: str) -> Any:
    """formats.date_format(localtime(value), fmt) for a date format, memoised per day."""
    memo: dict[date, str] = {}
    format_day = date_formatter(fmt)

    def day(value: datetime | None) -> str:
        if value is None:
            return ""
        local = timezone.localtime(value).date()
        text = memo.get(local)
        if text is None:
            text = memo[local] = format_day(local)
        return text

    return day


@register.simple_tag
def customer_rows(rows: list[dict[str, Any]], selectable: Any = None) -> str:
    """The <tr> rows of the customer list from customers.selectors.customer_list_rows() (dicts of the
    shown columns, already masked), built in Python: the hottest list in the product renders 50 rows
    of ten cells, and per-cell template nodes (url, blocktranslate, date filters) cost more than the
    page's queries. Same markup as a template loop would give; values are escaped here."""
    if not rows:
        return ""
    card = reverse("customers:customer_detail", args=[0])[:-2]  # "/customers/": the card is <card><pk>/
    select = gettext("Select %(name)s")
    stale = esc(gettext("stale"))
    kinds = {value: esc(label) for value, label in CustomerKind.choices}
    # As Customer.is_stale(): never verified, or not within KEHU_STALE_AFTER_DAYS.
    stale_before = Customer.stale_before()
    day = _local_day(get_format("SHORT_DATE_FORMAT"))
    owners: dict[int, str] = {}

    out = []
    for c in rows:
        pk = c["id"]
        owner = owners.get(c["owner_id"])
        if owner is None:
            owner = owners[c["owner_id"]] = esc(str(User(
                pk=c["owner_id"], username=c["owner__username"], first_name=c["owner__first_name"],
                last_name=c["owner__last_name"],
            )))
        check = (f'<td class="check"><input type="checkbox" name="ids" value="{pk}" '
                 f'aria-label="{esc(select % {"name": c["name"]})}"></td>') if selectable else ""
        industry = f'<div class="muted small">{esc(c["industry"])}</div>' if c["industry"] else ""
        tags = "".join(f'<span class="tag">{esc(t)}</span>' for t in c["tags"])
        verified = c["last_verified_at"]
        badge = f' <span class="badge warn">{stale}</span>' if verified is None or verified < stale_before else ""
        kind = c["kind"]
        flags = "".join(f' <span class="badge {esc(b.css)}" title="{esc(b.hint)}">{esc(b.text)}</span>'
                        for b in c.get("badges", ()))
        out.append(
            f'<tr>{check}<td class="name"><a href="{card}{pk}/">{esc(c["name"])}</a>{flags}{industry}</td>'
            f'<td><span class="kind kind-{esc(kind)}">{kinds.get(kind) or esc(kind)}</span></td>'
            f'<td>{esc(c["city"])}</td><td class="nowrap">{esc(c["phone"])}</td><td>{owner}</td>'
            f'<td>{esc(c["team__name"]) if c["team__name"] is not None else ""}</td><td>{tags}</td>'
            f'<td class="nowrap">{day(c["created_at"])}</td>'
            f'<td class="nowrap">{day(verified)}{badge}</td></tr>'
        )
    return mark_safe("\n".join(out))  # noqa: S308 (every value above is escaped)
