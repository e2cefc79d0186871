"""Pages of the SLA part: the administrators' working calendar, holidays and SLA policies; service
agreements on the customer's card (records layer), their list (expiring/expired), documents, export.
Thin: reads through service.selectors_sla, writes through service.services_sla."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from accounts.roles import Cap
from audit.models import AccessAction
from audit.services import access_record
from core.forms import add_errors
from core.tabular import FORMATS, cell, download
from customers.models import Customer
from customers.records.views import RecordPages
from service import selectors_sla as selectors
from service import services_sla as services
from service.forms_sla import (
    AgreementDocumentForm,
    AgreementFilterForm,
    AgreementForm,
    CalendarForm,
    HolidayForm,
    HolidayImportForm,
    PolicyForm,
)
from service.models import Holiday, ServiceAgreement
from service.models.sla import AgreementStatus


def _admin(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not user.can(Cap.MANAGE_USERS):
        raise PermissionDenied(_("Only administrators may change the working calendar and the SLA policies."))
    return user


# --- working calendar, SLA policies, holidays (administrators) ----------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def sla_calendar(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    row = services.calendar_row()
    form = CalendarForm(request.POST or None, instance=services.calendar_row())
    if request.method == "POST" and form.is_valid():
        try:
            services.calendar_update(actor=user, data=form.service_data())
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The working calendar is saved."))
            return redirect("service:sla_calendar")
    return render(request, "service/sla/calendar.html", {
        "form": form, "row": row, "minutes_per_day": _minutes_per_day(row), "tab": "calendar",
    }, status=400 if form.errors else 200)


def _minutes_per_day(row: Any) -> int:
    return sum((e.hour * 60 + e.minute) - (s.hour * 60 + s.minute) for s, e in row.periods)


@login_required
@require_http_methods(["GET", "POST"])
def sla_policies(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    form = PolicyForm(request.POST or None, policies=selectors.policy_table())
    if request.method == "POST" and form.is_valid():
        try:
            services.policies_update(actor=user, times=form.times)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The SLA policies are saved."))
            return redirect("service:sla_policies")
    return render(request, "service/sla/policies.html", {"form": form, "tab": "policies"},
                  status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def holiday_list(request: HttpRequest) -> HttpResponse:
    """The holidays and make-up working days of a year; add one (POST)."""
    user = _admin(request)
    years = selectors.holiday_years()
    try:
        year = int(request.GET.get("year") or (years[0] if years else timezone.localdate().year))
    except ValueError:
        year = timezone.localdate().year
    form = HolidayForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            holiday = services.holiday_create(actor=user, day=form.cleaned_data["date"], name=form.cleaned_data["name"],
                                              is_working_day=form.cleaned_data["is_working_day"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("%(day)s added.") % {"day": holiday})
            return redirect(f"{_url('service:holiday_list')}?year={holiday.date.year}")
    return render(request, "service/sla/holidays.html", {
        "form": form, "import_form": HolidayImportForm(), "holidays": selectors.holiday_list(year),
        "year": year, "years": sorted({*years, year, timezone.localdate().year}, reverse=True), "tab": "holidays",
    }, status=400 if form.errors else 200)


def _url(name: str) -> str:
    from django.urls import reverse

    return reverse(name)


@login_required
@require_POST
def holiday_delete(request: HttpRequest, holiday_id: int) -> HttpResponse:
    user = _admin(request)
    try:
        holiday = services.holiday_delete(actor=user, holiday_id=holiday_id)
    except Holiday.DoesNotExist as exc:
        raise Http404 from exc
    messages.success(request, _("%(day)s deleted.") % {"day": holiday})
    return redirect(f"{_url('service:holiday_list')}?year={holiday.date.year}")


@login_required
@require_POST
def holiday_import(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    form = HolidayImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            added, replaced = services.holidays_import_csv(actor=user, content=form.cleaned_data["file"].read())
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(added)s days added, %(replaced)s changed.")
                             % {"added": added, "replaced": replaced})
    else:
        messages.error(request, _("Choose a CSV file to import."))
    return redirect("service:holiday_list")


# --- service agreements (customers.records) -----------------------------------------------------------

def _agreement_context(request: HttpRequest, customer: Customer | None, agreement: Any) -> dict[str, Any]:
    if agreement is None or agreement.pk is None:
        return {}
    # Lazy: only the detail page shows them (the edit and delete pages share this context).
    return {"documents": functools.partial(selectors.live_documents, agreement),
            "document_form": AgreementDocumentForm}


def _agreement_read(user: Any, pk: int) -> ServiceAgreement:
    return selectors.agreement_read(user, pk)


def _list_context(request: HttpRequest, customer: Customer | None, agreement: Any) -> dict[str, Any]:
    return {"statuses": AgreementStatus.choices, "formats": FORMATS}


AGREEMENT_PAGES = RecordPages(
    kind=services.AGREEMENTS, form=AgreementForm, tab="profile", object_name="agreement",
    detail_url_name="service:agreement_detail", read=_agreement_read,
    form_template="service/sla/agreement_form.html", detail_template="service/sla/agreement_detail.html",
    title_add=gettext_lazy("New service agreement"), title_edit=gettext_lazy("Edit service agreement"),
    added_message=gettext_lazy("Service agreement saved."), saved_message=gettext_lazy("Service agreement saved."),
    deleted_message=gettext_lazy("Service agreement “%(agreement)s” deleted."),
    delete_question=gettext_lazy("Delete the service agreement “%(agreement)s”?"),
    delete_explanation=gettext_lazy("Its SLA no longer applies to the customer's new complaints and requests; "
                                    "the history keeps a record."),
    label_params=lambda agreement: {"agreement": agreement},
    form_kwargs=lambda request, customer, record: {},
    add_initial=lambda request, customer: {"starts_on": timezone.localdate()},
    extra_context=_agreement_context,
)
agreement_add = AGREEMENT_PAGES.view("add")
agreement_edit = AGREEMENT_PAGES.view("edit")
agreement_delete = AGREEMENT_PAGES.view("delete")
agreement_detail = AGREEMENT_PAGES.view("detail")

AGREEMENT_LIST_PAGES = RecordPages(
    kind=services.AGREEMENTS, filter_form=AgreementFilterForm, list_selector=selectors.agreement_list,
    list_template="service/sla/agreement_list.html", extra_context=_list_context,
)
agreement_list = AGREEMENT_LIST_PAGES.view("list")


@login_required
@require_POST
def agreement_document_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    agreement = _agreement_or_404(user, pk, "change")
    form = AgreementDocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            doc = services.agreement_document_attach(actor=user, agreement_id=agreement.pk,  # type: ignore[arg-type]
                                                     upload=form.cleaned_data["file"],
                                                     description=form.cleaned_data["description"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("“%(name)s” uploaded.") % {"name": doc.original_name})
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("service:agreement_detail", agreement.pk)


@login_required
@require_POST
def agreement_document_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    agreement = _agreement_or_404(user, pk, "change")
    try:
        document_id = int(request.POST.get("document") or 0)
        doc = services.agreement_document_remove(actor=user, agreement_id=agreement.pk,  # type: ignore[arg-type]
                                                 document_id=document_id)
    except (ValueError, ValidationError):
        messages.error(request, _("This document is not attached to the agreement."))
    else:
        messages.success(request, _("“%(name)s” deleted.") % {"name": doc.original_name})
    return redirect("service:agreement_detail", agreement.pk)


def _agreement_or_404(user: Any, pk: int, action: str) -> ServiceAgreement:
    from customers.records.access import record_or_404

    return record_or_404(ServiceAgreement, user, pk, action)


# --- export -------------------------------------------------------------------------------------------

EXPORT_COLUMNS = ["customer", "number", "level", "starts_on", "ends_on", "status", "owner", "sla", "terms"]


def _export_headers() -> list[str]:
    return [_("Customer"), _("Agreement number"), _("Agreement level"), _("Starts on"), _("Ends on"),
            pgettext("agreement", "Status"), _("Owner"), _("SLA granted"), _("Terms")]


def _sla_text(agreement: ServiceAgreement) -> str:
    return "; ".join(_("%(subject)s %(level)s: %(ack)s/%(resolve)s min")
                     % {"subject": r["subject_label"], "level": r["level_label"], "ack": r["acknowledge_minutes"],
                        "resolve": r["resolve_minutes"]} for r in agreement.sla_rows())


def export_rows(agreements: Any, today: date, notice: int, for_xlsx: bool) -> Iterator[list[Any]]:
    for a in agreements.iterator(chunk_size=1000):
        status = AgreementStatus(a.status_on(today, notice)).label
        owner = str(a.customer.owner) if a.customer.owner_id else ""
        yield [cell(v, for_xlsx=for_xlsx) for v in (a.customer.name, a.number, a.get_level_display(), a.starts_on,
                                                     a.ends_on, str(status), owner, _sla_text(a), a.terms)]


@login_required
def agreement_export(request: HttpRequest) -> HttpResponseBase:
    """The filtered agreements the user may export, as CSV or XLSX (recorded before a row leaves)."""
    user: User = request.user  # type: ignore[assignment]
    if not user.can(Cap.EXPORT):
        raise PermissionDenied(_("You may not export."))
    fmt = request.GET.get("format") or "csv"
    if fmt not in FORMATS:
        raise Http404
    form = AgreementFilterForm(request.GET or None, user=user)
    filters = form.filters()
    qs = (selectors.agreements_filtered(user, filters)
          .filter(pk__in=ServiceAgreement.objects.restrict(user, "export").values("pk"))
          .select_related("customer", "customer__owner").order_by(*selectors.ordering_for(filters.get("status"))))
    access_record(user=user, action=AccessAction.EXPORT, object_repr=str(_("Service agreements")),
                  detail={"kind": "service_agreements", "filters": {k: str(v) for k, v in filters.items()},
                          "rows": qs.count(), "format": fmt})
    today, notice = timezone.localdate(), services.calendar_row().renewal_notice_days
    return download(fmt=fmt, filename=f"service-agreements-{today:%Y%m%d}.{fmt}", header=_export_headers(),
                    rows=lambda for_xlsx: export_rows(qs, today, notice, for_xlsx),
                    title=str(_("Service agreements")))
