"""Service request pages: quick entry, the dispatch board, the list and search, a request's page with
its order, history and suggested articles, assignment and status moves, the event reports, the CSV
export. Thin: reads through service.selectors_requests, writes through service.services_requests."""

from __future__ import annotations

import csv
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.http import safe_next
from core.middleware import is_htmx
from customers.models import Customer
from customers.records.access import customer_or_404, record_or_404
from customers.records.views import RecordPages
from service import selectors_knowledge
from service import selectors_requests as selectors
from service import services_requests as services
from service.forms_requests import AssignForm, QuickRequestForm, RequestFilterForm, RequestForm, StatusForm
from service.models import ServiceRequest


def _orders_kwargs(request: HttpRequest, customer: Customer, obj: Any) -> dict[str, Any]:
    from commerce.selectors import order_filtered

    orders = order_filtered(request.user, {"customer": customer.pk}).order_by("-ordered_at", "-id")
    return {"orders": orders}


REQUEST_PAGES = RecordPages(
    kind=services.REQUESTS, form=RequestForm, tab="timeline", object_name="service_request",
    detail_url_name="service:request_detail",
    title_edit=gettext_lazy("Edit service request"),
    saved_message=gettext_lazy("Service request saved."), deleted_message=gettext_lazy("Service request deleted."),
    delete_question=gettext_lazy("Delete the service request “%(subject)s”?"),
    delete_explanation=gettext_lazy("It leaves the board and every list; the history keeps a record."),
    label_params=lambda r: {"subject": r.subject}, form_kwargs=_orders_kwargs,
)
request_edit = REQUEST_PAGES.view("edit")
request_delete = REQUEST_PAGES.view("delete")


# --- quick entry ---------------------------------------------------------------------------------

@login_required
def request_add(request: HttpRequest) -> HttpResponse:
    """One short form; the customer is found as in the header search (by name, pinyin, phone …) or
    comes from the card (?customer=)."""
    user = request.user
    assignees = selectors.assignable_users(user)  # type: ignore[arg-type]
    customer = None
    if request.method == "POST":
        form = QuickRequestForm(request.POST, assignees=assignees)
        if form.is_valid():
            customer = customer_or_404(user, form.cleaned_data["customer"], "change")  # type: ignore[arg-type]
            try:
                created = services.request_create(actor=user, customer_id=customer.pk,  # type: ignore[arg-type]
                                                  data=form.service_data())
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Service request “%(subject)s” entered.") % {"subject": created.subject})
                if "another" in request.POST:
                    return redirect(reverse("service:request_add"))
                return redirect(safe_next(request, request.POST.get("next")) or created.get_absolute_url())
        elif form.data.get("customer", "").isdigit():
            customer = Customer.objects.restrict(user, "view").filter(pk=int(form.data["customer"])).first()
    else:
        initial: dict[str, Any] = {}
        raw = request.GET.get("customer", "")
        if raw.isdigit():
            customer = customer_or_404(user, int(raw), "change")  # type: ignore[arg-type]
            initial["customer"] = customer.pk
        form = QuickRequestForm(initial=initial, assignees=assignees)
    return render(request, "service/requests/request_add.html", {"form": form, "customer": customer,
                                                                  "next": request.GET.get("next", "")})


@login_required
@require_GET
def request_customer_pick(request: HttpRequest) -> HttpResponse:
    """The quick entry's customer finder (htmx): the header search's matches as choices."""
    from customers.selectors import customer_search

    q = (request.GET.get("q") or request.GET.get("customer_q") or "").strip()[:100]
    hits = customer_search(user=request.user, q=q, limit=8) if q else []  # type: ignore[arg-type]
    return render(request, "service/requests/request_add.html#customer_choices", {"hits": hits, "q": q})


# --- dispatch board ------------------------------------------------------------------------------

def _board_context(request: HttpRequest, mode: str) -> dict[str, Any]:
    user = request.user
    board = selectors.dispatch_board(user=user, mode=mode)  # type: ignore[arg-type]
    return {"board": board, "now": board.now, **_card_labels(request)}


def _card_labels(request: HttpRequest) -> dict[str, Any]:
    """What every card says the same way, translated once."""
    return {"can_assign": request.user.can("customer.change"),  # type: ignore[union-attr]
            "overdue_label": _("overdue"), "assign_label": _("Assign"), "reassign_label": _("Reassign")}


@login_required
@require_GET
def request_board(request: HttpRequest) -> HttpResponse:
    mode = "due" if request.GET.get("mode") == "due" else "assignee"
    context = _board_context(request, mode)
    if is_htmx(request) and request.GET.get("partial") == "board":
        return render(request, "service/requests/board.html#board", context)
    return render(request, "service/requests/board.html", context)


@login_required
@require_GET
def request_board_column(request: HttpRequest, column: str) -> HttpResponse:
    """A column's next cards (the board's "more", htmx)."""
    try:
        page = selectors.board_column(user=request.user, key=column, cursor=request.GET.get("cursor"))  # type: ignore[arg-type]
    except ValueError as exc:
        raise Http404 from exc
    return render(request, "service/requests/board.html#cards", {
        "column": {"key": column, "page": page, "user_id": column.startswith("user-")},
        "now": timezone.now(), **_card_labels(request)})


@login_required
@require_http_methods(["GET", "POST"])
def request_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign or reassign (a reason is required to reassign); from the board (htmx) the board is drawn
    again, from the request's page back to it. GET (htmx): the card's small form, loaded when asked
    for, so that the board does not carry a list of people for every card."""
    user = request.user
    obj = record_or_404(ServiceRequest, user, pk, "change")  # type: ignore[arg-type]
    if request.method == "GET":
        if not is_htmx(request):
            return redirect(obj.get_absolute_url() + "#assign")
        return render(request, "service/requests/board.html#assign_form", {
            "r": obj, "assignees": selectors.assignable_users(user),  # type: ignore[arg-type]
            "mode": "due" if request.GET.get("mode") == "due" else ""})
    form = AssignForm(request.POST, assignees=selectors.assignable_users(user))  # type: ignore[arg-type]
    error = ""
    if form.is_valid():
        assignee = form.cleaned_data["assignee"]
        try:
            services.request_assign(actor=user, request_id=obj.pk, assignee_id=assignee.pk if assignee else None,  # type: ignore[arg-type]
                                    reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = " ".join(e for errors in form.errors.values() for e in errors)
    if is_htmx(request):
        mode = "due" if request.POST.get("mode") == "due" else "assignee"
        context = _board_context(request, mode)
        context["flash"] = error or _("“%(subject)s” assigned.") % {"subject": obj.subject}
        context["flash_error"] = bool(error)
        return render(request, "service/requests/board.html#board", context, status=422 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("“%(subject)s” assigned.") % {"subject": obj.subject})
    return redirect(safe_next(request, request.POST.get("next")) or obj.get_absolute_url())


# --- a request's page ----------------------------------------------------------------------------

@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    obj = record_or_404(ServiceRequest, user, pk, read=selectors.request_read)  # type: ignore[arg-type]
    can_change = ServiceRequest.objects.restrict(user, "change").filter(pk=pk).exists()
    may_move = can_change or obj.assignee_id == user.pk
    suggestions = selectors_knowledge.suggest_articles(f"{obj.subject} {obj.description}", "",
                                                       5, category=obj.category) if obj.is_open else []
    return render(request, "service/requests/request_detail.html", {
        "object": obj, "customer": obj.customer, "can_change": can_change, "may_move": may_move,
        "history": selectors.request_history(obj), "lines": selectors.order_lines(obj),
        "suggestions": suggestions, "now": timezone.now(),
        "assign_form": AssignForm(initial={"assignee": obj.assignee_id}, assignees=selectors.assignable_users(user))  # type: ignore[arg-type]
        if can_change else None,
        "status_form": StatusForm() if may_move else None,
        "moves": sorted(services.TRANSITIONS[obj.status]),
    })


@login_required
@require_POST
def request_status(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    obj = record_or_404(ServiceRequest, user, pk)  # type: ignore[arg-type]
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(obj.get_absolute_url())
    data = form.cleaned_data
    try:
        moved = services.request_set_status(actor=user, request_id=obj.pk, status=data["status"],  # type: ignore[arg-type]
                                            note=data["note"], solved_by_article_id=data["solved_by_article"],
                                            resolution=data["resolution"] or None)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        raise PermissionDenied(_("Only the assignee or who may change the customer can move this request.")) from exc
    else:
        messages.success(request, _("The request is now “%(status)s”.") % {"status": moved.get_status_display()})
    return redirect(safe_next(request, request.POST.get("next")) or obj.get_absolute_url())


# --- list, reports, export -------------------------------------------------------------------------

def _filter_form(request: HttpRequest) -> RequestFilterForm:
    return RequestFilterForm(request.GET or None, user=request.user,  # type: ignore[arg-type]
                             assignees=selectors.assignable_users(request.user))  # type: ignore[arg-type]


@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request)
    page = selectors.request_list(user=request.user, filters=form.filters(),  # type: ignore[arg-type]
                                  cursor=request.GET.get("cursor"))
    return render(request, "service/requests/request_list.html", {"filter_form": form, "page": page,
                                                                   "now": timezone.now(),
                                                                   "can_export": request.user.can("customer.export")})  # type: ignore[union-attr]


@login_required
@require_GET
def request_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered list as CSV (the export right, as for customers); streamed, in keyset chunks."""
    if not request.user.can("customer.export"):  # type: ignore[union-attr]
        raise PermissionDenied(_("You may not export."))
    filters = _filter_form(request).filters()
    qs = (selectors.request_filtered(request.user, filters)  # type: ignore[arg-type]
          .select_related("customer", "assignee", "order", "solved_by_article").order_by("-id"))
    header = [_("ID"), _("Received"), _("Customer"), _("Subject"), _("Category"), _("Priority"), _("Status"),
              _("Assignee"), _("Resolve by"), _("Resolved"), _("Closed"), _("Reopened"), _("Order"),
              _("Solved by article")]

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())

    def rows() -> Any:
        yield "\ufeff" + writer.writerow(header)
        for r in qs.iterator(chunk_size=2000):
            yield writer.writerow([
                r.pk, timezone.localtime(r.received_at).isoformat(timespec="minutes"), r.customer.name, r.subject,
                r.get_category_display(), r.get_priority_display(), r.get_status_display(), str(r.assignee or ""),
                timezone.localtime(r.resolve_by).isoformat(timespec="minutes"),
                timezone.localtime(r.resolved_at).isoformat(timespec="minutes") if r.resolved_at else "",
                timezone.localtime(r.closed_at).isoformat(timespec="minutes") if r.closed_at else "",
                r.reopened_count, r.order.number if r.order else "", r.solved_by_article_id or ""])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="service-requests.csv"'
    return response


@login_required
@require_GET
def request_reports(request: HttpRequest) -> HttpResponse:
    months = 6 if request.GET.get("months") not in ("3", "12") else int(request.GET["months"])
    now = timezone.now()
    since = (timezone.localtime(now) - timedelta(days=31 * (months - 1))).replace(day=1, hour=0, minute=0, second=0,
                                                                                 microsecond=0)
    reports = selectors.event_reports(user=request.user, since=since, now=now)  # type: ignore[arg-type]
    chart = {"months": reports.months,
             "series": [{"name": row["label"], "data": row["counts"]} for row in reports.by_category]}
    return render(request, "service/requests/reports.html", {"reports": reports, "chart": chart, "months": months,
                                                             "since": since})
