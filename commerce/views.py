"""Order, product and cost pages (D3). Reads through commerce.selectors (scoped), writes through
commerce.services. Records outside the user's scope are 404; records the user sees but may not
change are 403."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.forms.models import model_to_dict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.roles import Cap
from commerce import selectors, services
from commerce.choices import STATUS_TRANSITIONS, OrderStatus
from commerce.forms import (
    CostForm,
    OrderFilterForm,
    OrderForm,
    OrderLineFormSet,
    ProductFilterForm,
    ProductForm,
    StatusForm,
    line_initial,
)
from commerce.models import CustomerCost, Order, Product
from core.concurrency import StaleWrite, version_initial
from core.forms import add_errors
from customers.models import Customer
from customers.records.access import customer_or_404, record_or_404
from customers.records.views import RecordPages, card_url
from customers.selectors import customers_visible

PAGE_SIZE = 50

# Buttons on an order for each next status.
STATUS_ACTIONS = {
    OrderStatus.PAID: (gettext_lazy("Mark paid"), "primary"),
    OrderStatus.CANCELLED: (gettext_lazy("Cancel order"), "danger"),
    OrderStatus.REFUNDED: (gettext_lazy("Refund"), "danger"),
}


def _order(user: User, pk: int, action: str = "view") -> Order:
    return record_or_404(Order, user, pk, action, read=lambda user, pk: selectors.order_detail(user=user, order_id=pk),
                         denied=_("You may not do this with this order."))


# --- orders -----------------------------------------------------------------------------------------

@login_required
@require_GET
def order_list(request: HttpRequest) -> HttpResponse:
    """Orders of the customers the user sees: filters, sort, keyset pages."""
    user = request.user
    form = OrderFilterForm(request.GET or None, user=user)
    filters, sort = form.filters(), form.sort_key()
    try:
        page = selectors.order_list(user=user, filters=filters, sort=sort, cursor=request.GET.get("cursor") or None,
                                    size=PAGE_SIZE)
    except ValidationError:
        messages.warning(request, _("The page link was out of date; here is the first page."))
        page = selectors.order_list(user=user, filters=filters, sort=sort, size=PAGE_SIZE)
    customer = None
    if filters.get("customer"):
        customer = customers_visible(user).only("id", "name").filter(pk=filters["customer"]).first()
    return render(request, "commerce/order_list.html", {
        "page": page, "filter_form": form, "filtered": bool(filters), "sort": sort, "customer": customer,
    })


def _order_form_page(request: HttpRequest, *, customer: Customer, order: Order | None,
                     conflict: tuple[StaleWrite, BaseForm] | None = None) -> HttpResponse:
    """The order form, new or edit. After `conflict` (the StaleWrite and the form that was posted),
    the order as it is now, unbound, saying who changed it and what was not saved."""
    user = request.user
    data = None if conflict else request.POST or None
    creating = order is None
    products = selectors.products_orderable(user)
    if order is not None:
        # Lines may keep a product that is no longer sold.
        products = (products | selectors.products_visible(user).filter(pk__in=[x.product_id for x in order.line_list]))
    lines_editable = creating or order.status == OrderStatus.PLACED
    if creating:
        initial = {"ordered_at": timezone.localtime().replace(second=0, microsecond=0), "salesperson": user.pk,
                   "region": customer.province}
        form = OrderForm(data, user=user, creating=True, initial=initial)
    else:
        form = OrderForm(data, user=user, creating=False,
                         initial={**model_to_dict(order, fields=OrderForm._meta.fields), **version_initial(order)})
    formset = OrderLineFormSet(data, products=products.distinct(), prefix="lines",
                               initial=None if creating else line_initial(order)) if lines_editable else None
    if conflict:
        form.show_conflict(conflict[0], submitted=conflict[1])
    elif request.method == "POST" and form.is_valid() and (formset is None or formset.is_valid()):
        try:
            if creating:
                order = services.order_create(actor=user, customer_id=customer.pk, data=form.service_data(),
                                              lines=formset.lines(), status=form.cleaned_data["status"])
            else:
                services.order_update(actor=user, order_id=order.pk, data=form.service_data(),
                                      lines=formset.lines() if formset is not None else None,
                                      expected_version=form.expected_version)
        except StaleWrite as stale:
            # Changed (details, lines or status) since the form was opened: show it as it is now.
            return _order_form_page(request, customer=customer, order=_order(user, order.pk, "change"),
                                    conflict=(stale, form))
        except ValidationError as exc:
            lines_error = getattr(exc, "error_dict", {}).pop("lines", None)
            if lines_error and formset is not None:
                formset._non_form_errors = formset.error_class(
                    [m for e in lines_error for m in e.messages], renderer=formset.renderer
                )
            if getattr(exc, "error_dict", None) or not hasattr(exc, "error_dict"):
                add_errors(form, exc)
        else:
            messages.success(request, _("Order saved."))
            return redirect("commerce:order_detail", pk=order.pk)
    return render(request, "commerce/order_form.html", {
        "form": form, "formset": formset, "customer": customer, "order": order, "creating": creating,
    }, status=409 if conflict else 400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def order_add(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = customer_or_404(request.user, customer_pk, "change")
    return _order_form_page(request, customer=customer, order=None)


@login_required
@require_http_methods(["GET", "POST"])
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request.user, pk, "change")
    return _order_form_page(request, customer=order.customer, order=order)


@login_required
@require_GET
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    order = _order(user, pk)
    can_change = selectors.order_can(user, pk, "change")
    actions = [(s, *STATUS_ACTIONS[s]) for s in STATUS_TRANSITIONS[order.status]] if can_change else []
    return render(request, "commerce/order_detail.html", {
        "order": order, "lines": order.line_list, "can_change": can_change,
        "can_edit": can_change, "lines_editable": order.status == OrderStatus.PLACED,
        "can_delete": selectors.order_can(user, pk, "delete"), "status_actions": actions,
    })


@login_required
@require_POST
def order_status(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _order(user, pk, "change")
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown status."))
    else:
        try:
            order = services.order_set_status(actor=user, order_id=pk, status=form.cleaned_data["status"],
                                              note=form.cleaned_data["note"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The order is now %(status)s.") % {"status": order.get_status_display()})
    return redirect("commerce:order_detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def order_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    order = _order(user, pk, "delete")
    if request.method == "POST":
        services.order_delete(actor=user, order_id=pk)
        messages.success(request, _("Order %(number)s deleted.") % {"number": order.number})
        return redirect(card_url(order.customer_id, "timeline"))
    return render(request, "commerce/confirm_delete.html", {
        "object": order, "cancel_url": reverse("commerce:order_detail", args=[pk]),
        "question": _("Delete order %(number)s?") % {"number": order.number},
        "explanation": _("Delete only an order entered by mistake; an order that did not go ahead is cancelled. "
                         "The history keeps a record."),
    })


# --- products ---------------------------------------------------------------------------------------

@login_required
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProductFilterForm(request.GET or None, user=user)
    filters = form.filters()
    try:
        page = selectors.product_list(user=user, filters=filters, cursor=request.GET.get("cursor") or None)
    except ValidationError:
        page = selectors.product_list(user=user, filters=filters)
    return render(request, "commerce/product_list.html", {
        "page": page, "filter_form": form, "filtered": any(v not in ("", None) for v in filters.values()),
        "can_manage": user.can(Cap.CATALOGUE),
    })


def _product_form(request: HttpRequest, pk: int | None) -> HttpResponse:
    user = request.user
    if not user.can(Cap.CATALOGUE):
        raise PermissionDenied(_("Only managers and administrators may change the product catalogue."))
    product = None
    if pk is not None:
        try:
            product = selectors.products_visible(user).get(pk=pk)
        except Product.DoesNotExist as exc:
            raise Http404 from exc
    form = ProductForm(request.POST or None, instance=product if product else None)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in form.Meta.fields}
        try:
            if product is None:
                saved = services.product_create(actor=user, data=data)
            else:
                saved = services.product_update(actor=user, product_id=pk, data=data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Product saved."))
            for warning in saved.warnings:
                messages.warning(request, warning)
            return redirect("commerce:product_list")
    return render(request, "commerce/product_form.html", {"form": form, "product": product})


@login_required
@require_http_methods(["GET", "POST"])
def product_add(request: HttpRequest) -> HttpResponse:
    return _product_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _product_form(request, pk)


@login_required
@require_http_methods(["GET", "POST"])
def product_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    if not user.can(Cap.CATALOGUE):
        raise PermissionDenied(_("Only managers and administrators may change the product catalogue."))
    try:
        product = selectors.products_visible(user).get(pk=pk)
    except Product.DoesNotExist as exc:
        raise Http404 from exc
    if request.method == "POST":
        services.product_delete(actor=user, product_id=pk)
        messages.success(request, _("“%(name)s” removed from the catalogue.") % {"name": product.name})
        return redirect("commerce:product_list")
    return render(request, "commerce/confirm_delete.html", {
        "object": product, "cancel_url": reverse("commerce:product_list"),
        "question": _("Remove “%(name)s” from the catalogue?") % {"name": product.name},
        "explanation": _("Past orders keep it; it can no longer be ordered."),
    })


# --- costs to serve (customers.records) ----------------------------------------------------------

def _cost_form_kwargs(request: HttpRequest, customer: Customer, cost: CustomerCost | None) -> dict[str, Any]:
    """The form offers the customer's orders to tie the cost to."""
    orders = selectors.order_filtered(request.user, {"customer": customer.pk}).order_by("-ordered_at", "-id")
    return {"orders": orders}


COST_PAGES = RecordPages(
    kind=services.COSTS, form=CostForm, tab="timeline", object_name="cost",
    form_template="commerce/cost_form.html", delete_template="commerce/confirm_delete.html",
    added_message=gettext_lazy("Cost saved."), saved_message=gettext_lazy("Cost saved."),
    deleted_message=gettext_lazy("Cost deleted."),
    delete_question=gettext_lazy("Delete the cost “%(cost)s”?"),
    delete_explanation=gettext_lazy("It no longer counts against the customer's profit; the history keeps a record."),
    label_params=lambda cost: {"cost": cost},
    form_kwargs=_cost_form_kwargs,
    add_initial=lambda request, customer: {"incurred_on": timezone.localdate()},
)

cost_add = COST_PAGES.view("add")
cost_edit = COST_PAGES.view("edit")
cost_delete = COST_PAGES.view("delete")
