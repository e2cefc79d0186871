"""The holdings pages: the card's "Wealth" tab (holdings with the computed totals and allocation),
add / edit / delete through the records layer, and the FX rates page. Reads through
wealth.selectors_holdings (scoped), writes through wealth.services_holdings."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core import masking
from core.forms import add_errors
from core.timeline import CardTab
from customers.models import Customer
from customers.records.views import RecordPages
from wealth import selectors_holdings as selectors
from wealth import services_holdings as services
from wealth.choices import LIABILITY_CLASSES, AssetClass
from wealth.forms_holdings import FxRateForm, HoldingForm
from wealth.models import Holding
from wealth.valuation import WealthSummary

WEALTH_TAB = "wealth"


def summary_context(user: Any, summary: WealthSummary | None) -> dict[str, Any]:
    """The totals as the user sees them: a role that sees assets masked sees every amount masked and
    no allocation (shares of a portfolio are derived from its amounts)."""
    if summary is None:
        return {"summary": None, "allocation": [], "chart": None, "masked": masking.masks(user, Holding, "amount")}
    labels = dict(AssetClass.choices)
    if masking.masks(user, Holding, "amount"):
        mask = masking.AMOUNT_MASK
        return {"summary": {"assets": mask, "liabilities": mask, "net_worth": mask, "currency": summary.currency},
                "allocation": [], "chart": None, "masked": True}
    allocation = [
        {"key": cls, "label": str(labels.get(cls, cls)), "amount": summary.by_class[cls],
         "share": round(float(share) * 100, 1)}
        for cls, share in sorted(summary.allocation.items(), key=lambda item: -item[1])
    ]
    liabilities = [{"key": cls, "label": str(labels.get(cls, cls)), "amount": amount}
                   for cls, amount in summary.by_class.items() if cls in LIABILITY_CLASSES]
    chart = {
        "title": _("Allocation by class"),
        "currency": summary.currency,
        "data": [{"name": a["label"], "value": float(a["amount"])} for a in allocation if a["amount"]],
    }
    return {"summary": summary, "allocation": allocation, "liabilities": liabilities,
            "chart": chart if chart["data"] else None, "masked": False}


def _url_maker(name: str) -> Callable[[int], str]:
    """reverse(name, args=[pk]) for many pks at the cost of one reverse()."""
    marker = 987654321
    pattern = reverse(name, args=[marker])
    return lambda pk: pattern.replace(str(marker), str(pk))


def holding_rows_html(request: HttpRequest, holdings: list[dict[str, Any]], *, can_change: bool, masked: bool) -> str:
    """The rows of the holdings table, built in Python: a customer may hold 200 positions, and the
    template language spent about a millisecond a row (two URLs, a CSRF field, a translated question
    per row), Django's format_html a quarter of that; plain string building with the standard
    library's escape takes a few microseconds. Every value from the database goes through `e`."""
    e = html.escape
    labels = {key: e(str(label)) for key, label in AssetClass.choices}
    edit_url, delete_url = _url_maker("wealth:holding_edit"), _url_maker("wealth:holding_delete")
    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{e(get_token(request))}">'
    with_us = f'<span class="badge ok">{e(_("with us"))}</span>'
    edit, delete, question = e(_("Edit")), e(_("Delete")), _("Delete the holding “%(name)s”?")
    dates: dict[Any, str] = {None: "—"}

    def day(value: Any) -> str:
        if value not in dates:
            dates[value] = e(date_format(value, "SHORT_DATE_FORMAT"))
        return dates[value]

    rows = []
    for h in holdings:
        pk, cls, name = h["id"], h["asset_class"], h["product_name"]
        code = f' <span class="muted small">{e(h["product_code"])}</span>' if h["product_code"] else ""
        notes = f'<div class="muted small">{e(Truncator(h["notes"]).chars(80))}</div>' if h["notes"] else ""
        place = with_us if h["held_with_us"] else e(h["institution"])
        amount = e(str(h["amount"])) if masked else f"{h['amount']:,.2f}"
        actions = ""
        if can_change:
            link = "" if masked else f'<a href="{edit_url(pk)}">{edit}</a>'
            actions = (f'<td class="nowrap"><div class="rowactions">{link}'
                       f'<form method="post" action="{delete_url(pk)}" data-confirm="{e(question % {"name": name})}">'
                       f'{csrf}<button type="submit" class="linklike danger">{delete}</button></form></div></td>')
        rows.append(
            f'<tr class="holding-{e(cls)}"><td>{labels.get(cls) or e(cls)}</td>'
            f'<td>{e(name)}{code}{notes}</td><td>{place}</td>'
            f'<td class="num nowrap">{amount} {e(h["currency"])}</td><td>{e(h["risk_level"]) or "—"}</td>'
            f'<td class="nowrap">{day(h["started_on"])}</td><td class="nowrap">{day(h["matures_on"])}</td>'
            f'{actions}</tr>'
        )
    return mark_safe("".join(rows))  # noqa: S308 - every value above is escaped


def wealth_tab_context(request: HttpRequest, card: Any) -> dict[str, Any]:
    """The Wealth tab: every holding of the customer (one query) and the totals computed from them
    (no query when every holding is in the reporting currency, two for the rates otherwise)."""
    user, customer = request.user, card.customer
    holdings = selectors.customer_holdings(user=user, customer_id=customer.pk)
    view = selectors.wealth_view(customer=customer, holdings=holdings)
    masks_amounts = masking.masks(user, Holding, "amount")
    if masks_amounts:
        masking.mask_values(user, Holding, holdings)
    return {
        "holdings": holdings,
        "holding_rows": holding_rows_html(request, holdings, can_change=card.can_change, masked=masks_amounts),
        "wealth_missing": view.missing,
        "wealth_currency": view.currency,
        "holdings_masked": masks_amounts,
        **summary_context(user, view.summary),
    }


def card_tabs(user: Any, customer: Customer) -> list[CardTab]:
    """The card's Wealth tab (core.timeline.card_tabs), for people and organisations alike."""
    return [CardTab(key=WEALTH_TAB, label=str(_("Wealth")), template="wealth/holdings/card_tab.html",
                    context=wealth_tab_context)]


HOLDING_PAGES = RecordPages(
    kind=services.HOLDINGS, form=HoldingForm, tab=WEALTH_TAB, object_name="holding",
    title_add=gettext_lazy("Add holding"), title_edit=gettext_lazy("Edit holding"),
    added_message=gettext_lazy("Holding saved."), saved_message=gettext_lazy("Holding saved."),
    deleted_message=gettext_lazy("Holding “%(name)s” deleted."),
    delete_question=gettext_lazy("Delete the holding “%(name)s”?"),
    delete_explanation=gettext_lazy(
        "It no longer counts in the customer's totals; the history keeps a record and an administrator can restore it."
    ),
    add_initial=lambda request, customer: {"currency": customer.assets_currency or "CNY",
                                           "started_on": timezone.localdate()},
)
holding_add = HOLDING_PAGES.view("add")
holding_edit = HOLDING_PAGES.view("edit")
holding_delete = HOLDING_PAGES.view("delete")


# --- FX rates --------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def fx_rate_list(request: HttpRequest) -> HttpResponse:
    """Every signed-in user reads the rates (the totals are computed with them); administrators add."""
    user = request.user
    may_manage = services.may_manage_fx_rates(user)
    form = FxRateForm(request.POST or None, initial={"valid_from": timezone.localdate(), "quote": "CNY"})
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied(_("Only administrators record FX rates."))
        if form.is_valid():
            try:
                rate = services.fx_rate_create(actor=user, data=form.cleaned_data)
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Rate saved: %(rate)s.") % {"rate": rate})
                return redirect("wealth:fx_rate_list")
    try:
        page = selectors.fx_rate_list(cursor=request.GET.get("cursor") or None, filters=request.GET)
    except ValidationError:
        page = selectors.fx_rate_list(filters=request.GET)
    return render(request, "wealth/holdings/fx_rates.html", {
        "page": page, "form": form if may_manage else None, "may_manage": may_manage,
    }, status=200 if request.method == "GET" or form.is_valid() else 422)


@login_required
@require_POST
def fx_rate_delete(request: HttpRequest, pk: int) -> HttpResponse:
    services.fx_rate_delete(actor=request.user, fx_rate_id=pk)
    messages.success(request, _("Rate deleted."))
    return redirect("wealth:fx_rate_list")
