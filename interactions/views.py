"""Interaction pages (D3): the list, one-step entry (a full page, or an htmx panel on the card's
timeline), detail, edit, delete, and ticking off follow-up tasks."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.forms.models import model_to_dict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from core.http import safe_next
from core.middleware import is_htmx
from customers.models import Customer
from customers.selectors import customers_visible
from interactions import selectors, services
from interactions.forms import InteractionFilterForm, InteractionForm
from interactions.models import FollowUpTask, Interaction

PAGE_SIZE = 50
# Sent with a successful quick entry: the card's timeline reloads itself on this event.
TIMELINE_EVENT = "kehu:timeline-changed"


def _add_errors(form: BaseForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            target = name if name in form.fields else {"title": "follow_up_title", "due_on": "follow_up_due",
                                                       "assignee": "follow_up_assignee"}.get(name)
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _customer(user: User, pk: int, action: str = "view") -> Customer:
    try:
        customer = customers_visible(user).only("id", "name", "kind", "owner_id", "team_id").get(pk=pk)
    except Customer.DoesNotExist as exc:
        raise Http404(_("No such customer.")) from exc
    if action != "view" and not Customer.objects.restrict(user, action).filter(pk=pk).exists():
        raise PermissionDenied(_("You may not do this with this customer."))
    return customer


def _timeline_url(customer_id: int) -> str:
    return reverse("customers:customer_detail", args=[customer_id]) + "?tab=timeline"


def _interaction(user: User, pk: int, action: str = "view") -> Interaction:
    try:
        obj = selectors.interaction_detail(user=user, interaction_id=pk)
    except Interaction.DoesNotExist as exc:
        raise Http404(_("No such interaction.")) from exc
    if action != "view" and not selectors.interaction_can(user, pk, action):
        raise PermissionDenied(_("You may not do this with this customer."))
    return obj


@login_required
@require_GET
def interaction_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = InteractionFilterForm(request.GET or None, user=user)
    filters = form.filters()
    try:
        page = selectors.interaction_list(user=user, filters=filters, cursor=request.GET.get("cursor") or None,
                                          size=PAGE_SIZE)
    except ValidationError:
        messages.warning(request, _("The page link was out of date; here is the first page."))
        page = selectors.interaction_list(user=user, filters=filters, size=PAGE_SIZE)
    customer = None
    if filters.get("customer"):
        customer = customers_visible(user).only("id", "name").filter(pk=filters["customer"]).first()
    return render(request, "interactions/interaction_list.html", {
        "page": page, "filter_form": form, "filtered": bool(filters), "customer": customer,
    })


@login_required
@require_http_methods(["GET", "POST"])
def interaction_add(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """Record an interaction, with an optional follow-up task, in one step. From the card (htmx)
    the form is a panel above the timeline: on success it comes back empty and the timeline reloads."""
    user = request.user
    customer = _customer(user, customer_pk, "change")
    quick = is_htmx(request)
    form = InteractionForm(request.POST or None, user=user, customer_id=customer.pk)
    saved = None
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.interaction_create(actor=user, customer_id=customer.pk, data=form.service_data(),
                                                follow_up=form.follow_up())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if not quick:
                messages.success(request, _("Interaction recorded."))
                return redirect(_timeline_url(customer.pk))
            form = InteractionForm(user=user, customer_id=customer.pk)
    context = {"form": form, "customer": customer, "saved": saved, "cancel_url": _timeline_url(customer.pk)}
    if quick:
        response = render(request, "interactions/interaction_form.html#quick", context)
        if saved is not None:
            response["HX-Trigger"] = TIMELINE_EVENT
        return response
    return render(request, "interactions/interaction_form.html", context,
                  status=400 if request.method == "POST" else 200)


@login_required
@require_GET
def interaction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    obj = _interaction(user, pk)
    return render(request, "interactions/interaction_detail.html", {
        "interaction": obj, "tasks": obj.task_list, "can_change": selectors.interaction_can(user, pk, "change"),
    })


@login_required
@require_http_methods(["GET", "POST"])
def interaction_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    obj = _interaction(user, pk, "change")
    form = InteractionForm(request.POST or None, user=user, customer_id=obj.customer_id, with_follow_up=False,
                           initial=model_to_dict(obj, fields=InteractionForm.Meta.fields))
    if request.method == "POST" and form.is_valid():
        try:
            services.interaction_update(actor=user, interaction_id=pk, data=form.service_data())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Interaction saved."))
            return redirect("interactions:interaction_detail", pk=pk)
    return render(request, "interactions/interaction_form.html", {
        "form": form, "customer": obj.customer, "interaction": obj,
        "cancel_url": reverse("interactions:interaction_detail", args=[pk]),
    })


@login_required
@require_http_methods(["GET", "POST"])
def interaction_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    obj = _interaction(user, pk, "change")
    if request.method == "POST":
        services.interaction_delete(actor=user, interaction_id=pk)
        messages.success(request, _("Interaction deleted."))
        return redirect(_timeline_url(obj.customer_id))
    return render(request, "commerce/confirm_delete.html", {
        "object": obj, "cancel_url": reverse("interactions:interaction_detail", args=[pk]),
        "question": _("Delete the interaction “%(subject)s”?") % {"subject": obj.subject},
        "explanation": _("It is removed from the timeline; the history keeps a record."),
    })


@login_required
@require_POST
def follow_up_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Tick a follow-up task off (or reopen it with done=0). From the home page via htmx the row
    disappears; otherwise back to `next`."""
    user = request.user
    if not FollowUpTask.objects.restrict(user, "view").filter(pk=pk).exists():
        raise Http404
    done = request.POST.get("done", "1") != "0"
    task = services.follow_up_done(actor=user, task_id=pk, done=done)
    if is_htmx(request):
        return HttpResponse("")
    messages.success(request, (_("“%(task)s” done.") if done else _("“%(task)s” reopened.")) % {"task": task.title})
    return redirect(safe_next(request, request.POST.get("next")) or reverse("home"))
