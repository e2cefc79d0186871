"""Pages of complaints: the service desk (quick entry + list), a complaint's page with its workflow,
compensation and approvals, the record pages from the card, the analysis, the limits, the export."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import Cap, Role
from commerce import selectors as commerce_selectors
from core.forms import add_errors
from customers.models import Customer
from customers.records.access import customer_or_404, record_or_404
from customers.records.views import RecordPages
from customers.selectors import customer_search
from service import complaint_workflow as workflow
from service import selectors_complaints as selectors
from service import selectors_knowledge
from service import services_complaints as services
from service.analysis_complaints import complaints_analysis
from service.forms_complaints import (
    AdvanceForm,
    CompensationForm,
    ComplaintFilterForm,
    ComplaintForm,
    DecisionForm,
    LimitsForm,
)
from service.models.complaints import CompensationApproval, Complaint

PAGE_SIZE = 50


def _form_kwargs(request: HttpRequest, customer: Customer, complaint: Any) -> dict[str, Any]:
    """The form offers the customer's own orders."""
    orders = commerce_selectors.order_filtered(request.user, {"customer": customer.pk}).order_by("-ordered_at", "-id")
    return {"orders": orders, "user": request.user}


def _interaction_of(request: HttpRequest) -> int | None:
    raw = request.GET.get("interaction") or request.POST.get("interaction")
    return int(raw) if raw and raw.isdigit() else None


COMPLAINT_PAGES = RecordPages(
    kind=services.COMPLAINTS, form=ComplaintForm, tab="timeline", object_name="complaint",
    detail_url_name="service:complaint_detail",
    title_add=gettext_lazy("New complaint"), title_edit=gettext_lazy("Edit complaint"),
    added_message=gettext_lazy("Complaint recorded; its SLA clock runs."),
    saved_message=gettext_lazy("Complaint saved."), deleted_message=gettext_lazy("Complaint deleted."),
    delete_question=gettext_lazy("Delete “%(name)s”?"),
    form_kwargs=_form_kwargs,
)
complaint_edit = COMPLAINT_PAGES.view("edit")
complaint_delete = COMPLAINT_PAGES.view("delete")


@login_required
@require_http_methods(["GET", "POST"])
def complaint_add(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """Record a complaint from the card, the timeline or an interaction (?interaction=<id> links it)."""
    customer = customer_or_404(request.user, customer_pk, "change")
    interaction_id = _interaction_of(request)
    form = ComplaintForm(request.POST or None, **_form_kwargs(request, customer, None))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            complaint = services.complaint_create(actor=request.user, customer_id=customer.pk, data=form.cleaned_data,
                                                  interaction_id=interaction_id)
        except ValidationError as exc:
            add_errors(form, exc)
            status = 400
        else:
            messages.success(request, _("Complaint recorded; its SLA clock runs."))
            return redirect("service:complaint_detail", complaint.pk)
    elif request.method == "POST":
        status = 400
    return render(request, "service/complaints/form.html", {
        "form": form, "customer": customer, "interaction_id": interaction_id, "title": _("New complaint"),
        "action": reverse("service:complaint_add", args=[customer.pk]),
        "cancel_url": reverse("customers:customer_detail", args=[customer.pk]) + "?tab=timeline",
    }, status=status)


@login_required
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    """The service desk: find the customer (header search pattern), record the complaint; the
    complaints the user sees, filtered; approvals waiting for the user."""
    user = request.user
    q = (request.GET.get("q") or "").strip()[:100]
    hits = customer_search(user=user, q=q, limit=10) if q else []
    picked = None
    form = None
    if request.GET.get("customer", "").isdigit():
        picked = customer_or_404(user, int(request.GET["customer"]), "change")
        form = ComplaintForm(**_form_kwargs(request, picked, None))
    filter_form = ComplaintFilterForm(request.GET or None, user=user)
    try:
        page = selectors.complaint_list(user=user, filters=filter_form.filters(), cursor=request.GET.get("cursor"),
                                        size=PAGE_SIZE)
    except ValidationError:
        page = selectors.complaint_list(user=user, filters=filter_form.filters(), size=PAGE_SIZE)
    return render(request, "service/complaints/desk.html", {
        "q": q, "hits": hits, "picked": picked, "form": form, "filter_form": filter_form, "page": page,
        "now": timezone.now(), "approvals": selectors.approvals_pending(user=user) if user.leads_team else [],
        "can_export": user.can(Cap.EXPORT), "is_admin": user.effective_role == Role.ADMIN,
    })


def _detail_context(request: HttpRequest, complaint: Complaint, **extra: Any) -> dict[str, Any]:
    user = request.user
    can_change = Complaint.objects.restrict(user, "change").filter(pk=complaint.pk).exists()
    steps = [(s, workflow.action_label(complaint.state, s)) for s in workflow.allowed_next(complaint.state)]
    return {
        "complaint": complaint, "customer": complaint.customer, "can_change": can_change, "next_steps": steps,
        "steps": selectors.complaint_steps(user=user, complaint_id=complaint.pk),
        "approvals": selectors.complaint_approvals(user=user, complaint_id=complaint.pk),
        "advance_form": extra.pop("advance_form", None) or AdvanceForm(),
        "compensation_form": extra.pop("compensation_form", None) or CompensationForm(),
        "limit": services.compensation_limit(user), "now": timezone.now(),
        "may_decide": user.effective_role in (Role.ADMIN, Role.MANAGER),
        # Knowledge-base articles that match what happened (the knowledge part's selector).
        "suggestions": selectors_knowledge.suggest_articles(f"{complaint.description} {complaint.wanted}", "",
                                                            category=complaint.category),
        **extra,
    }


def _read(user: Any, pk: int) -> Complaint:
    return selectors.complaint_detail(user=user, complaint_id=pk)


@login_required
@require_GET
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = record_or_404(Complaint, request.user, pk, "view", read=_read)
    return render(request, "service/complaints/detail.html", _detail_context(request, complaint))


def _refused(request: HttpRequest, pk: int, **forms: Any) -> HttpResponse:
    complaint = record_or_404(Complaint, request.user, pk, "view", read=_read)
    return render(request, "service/complaints/detail.html", _detail_context(request, complaint, **forms), status=400)


@login_required
@require_POST
def complaint_advance(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the complaint one step; a refused step shows the page again with the reason."""
    record_or_404(Complaint, request.user, pk, "change")
    form = AdvanceForm(request.POST)
    if form.is_valid():
        try:
            complaint = services.complaint_advance(actor=request.user, complaint_id=pk, **form.service_kwargs())
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Complaint is now “%(state)s”.") % {
                "state": workflow.state_label(complaint.state)})
            return redirect("service:complaint_detail", pk)
    return _refused(request, pk, advance_form=form)


@login_required
@require_POST
def complaint_compensation(request: HttpRequest, pk: int) -> HttpResponse:
    """Grant compensation within the user's limit, or ask a manager for more."""
    record_or_404(Complaint, request.user, pk, "change")
    form = CompensationForm(request.POST)
    if form.is_valid():
        try:
            approval = services.compensation_grant(actor=request.user, complaint_id=pk,
                                                   amount=form.cleaned_data["amount"],
                                                   reason=form.cleaned_data.get("reason") or "")
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            if approval is None:
                messages.success(request, _("Compensation granted."))
            else:
                messages.info(request, _("The amount is above your limit: a manager is asked to approve it."))
            return redirect("service:complaint_detail", pk)
    return _refused(request, pk, compensation_form=form)


@login_required
@require_POST
def approval_decide(request: HttpRequest, pk: int) -> HttpResponse:
    approval = record_or_404(CompensationApproval, request.user, pk, "change",
                             read=lambda user, key: CompensationApproval.objects.restrict(user, "view").get(pk=key))
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or decline."))
        return redirect("service:complaint_detail", approval.complaint_id)
    try:
        services.compensation_decide(actor=request.user, approval_id=pk, approve=form.cleaned_data["approve"],
                                     note=form.cleaned_data.get("note") or "")
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
    else:
        messages.success(request, _("Decision recorded; the requester is told."))
    return redirect(request.POST.get("next") or reverse("service:complaint_detail", args=[approval.complaint_id]))


@login_required
@require_http_methods(["GET", "POST"])
def compensation_limits(request: HttpRequest) -> HttpResponse:
    """An administrator sets each role's compensation limit."""
    if request.user.effective_role != Role.ADMIN:
        raise PermissionDenied(_("Only an administrator sets compensation limits."))
    current = {role: limit for role, _label, limit in services.compensation_limits()}
    form = LimitsForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        for role, limit in form.cleaned_data.items():
            services.compensation_limit_set(actor=request.user, role=role, limit=limit)
        messages.success(request, _("Compensation limits saved."))
        return redirect("service:compensation_limits")
    return render(request, "service/complaints/limits.html", {"form": form, "defaults": services.DEFAULT_LIMITS},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_GET
def analysis(request: HttpRequest) -> HttpResponse:
    """Complaints analysis (learning from recovery): counts, rates, SLA, repeat complainers, key customers."""
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    data = complaints_analysis(user=request.user, year=year)
    # The year as text: numbers are shown with thousands separators (2,026), a year never is.
    return render(request, "service/complaints/analysis.html", {"a": data, "year": year, "year_text": str(year),
                                                                 "chart": data.chart})


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    """The complaints the user sees (with the list's filters) as CSV, streamed."""
    if not request.user.can(Cap.EXPORT):
        raise PermissionDenied(_("You may not export."))
    filters = ComplaintFilterForm(request.GET or None, user=request.user).filters()
    qs = (selectors.complaint_filtered(request.user, filters).select_related("customer", "owner")
          .order_by("-received_at", "-id"))
    header = [_("Number"), _("Customer"), _("Received"), _("Channel"), _("Category"), _("Severity"), _("State"),
              _("What happened"), _("What the customer really wants"), _("Acknowledge by"), _("Resolve by"),
              _("Acknowledged"), _("Resolved"), _("Closed"), _("Recovery action"), _("Compensation"),
              _("Customer's reaction"), _("Root cause"), _("Owner")]

    def rows() -> Any:
        writer = csv.writer(_Echo())
        yield "\ufeff" + writer.writerow(header)
        for c in qs.iterator(chunk_size=2000):
            yield writer.writerow([
                c.pk, c.customer.name, c.received_at.isoformat(), c.get_channel_display(), c.get_category_display(),
                c.get_severity_display(), c.get_state_display(), c.description, c.wanted,
                c.acknowledge_by.isoformat(), c.resolve_by.isoformat(),
                c.acknowledged_at.isoformat() if c.acknowledged_at else "",
                c.resolved_at.isoformat() if c.resolved_at else "", c.closed_at.isoformat() if c.closed_at else "",
                c.get_recovery_action_display(), c.compensation if c.compensation is not None else "",
                c.get_reaction_display(), c.get_root_cause_display(), str(c.owner or "")])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="complaints.csv"'
    return response
