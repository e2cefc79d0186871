"""The holdings pages: the card's "Wealth" tab (holdings with the computed totals and allocation),
add / edit / delete through the records layer, and the FX rates page. Reads through
wealth.selectors_holdings (scoped), writes through wealth.services_holdings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
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


def wealth_tab_context(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    """The Wealth tab: every holding of the customer (one query) and the totals computed from them
    (no query when every holding is in the reporting currency, two for the rates otherwise)."""
    user = request.user
    holdings = selectors.customer_holdings(user=user, customer_id=customer.pk)
    view = selectors.wealth_view(customer=customer, holdings=holdings)
    masks_amounts = masking.masks(user, Holding, "amount")
    if masks_amounts:
        holdings = [masking.mask_instance(user, h) for h in holdings]
    return {
        "holdings": holdings,
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
