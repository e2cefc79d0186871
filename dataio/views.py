"""Import pages: upload → mapping → dry-run report → confirmation → progress → result.

Thin: reads through dataio.selectors, writes through dataio.services. A job is seen by its author,
their team's manager and administrators; only its author (or an administrator) moves it on.
"""

from __future__ import annotations

import contextlib
import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import Cap
from core.middleware import is_htmx
from core.tabular import FORMATS
from dataio import exports, samples, selectors, services
from dataio.forms import MappingForm, UploadForm
from dataio.importers import get_importer
from dataio.models import ImportJob, ImportStatus
from dataio.readers import TableError, cell_text

# A queued job whose progress has not moved for this long: say that the worker may not be running.
WORKER_HINT_SECONDS = 15


def _job_or_404(request: HttpRequest, pk: int, action: str = "view") -> ImportJob:
    try:
        return selectors.import_job_get(user=request.user, job_id=pk, action=action)
    except ImportJob.DoesNotExist as exc:
        raise Http404(_("No such import.")) from exc


def _kinds(request: HttpRequest) -> list[tuple[str, Any]]:
    kinds = services.importable_kinds(request.user)
    if not kinds:
        raise PermissionDenied(_("Your role may not import data."))
    return kinds


@login_required
@require_http_methods(["GET", "POST"])
def job_list(request: HttpRequest) -> HttpResponse:
    """The user's imports (running ones can be left and found again here) and the upload form."""
    kinds = _kinds(request)
    form = UploadForm(request.POST or None, request.FILES or None, kinds=kinds,
                      initial={"kind": request.GET.get("kind") or kinds[0][0]})
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_create(actor=request.user, kind=form.cleaned_data["kind"],
                                             upload=form.cleaned_data["file"])
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            return redirect("dataio:job_detail", pk=job.pk)
    jobs = list(selectors.import_job_list(user=request.user))
    labels = dict(kinds)
    for job in jobs:
        job.kind_label = labels.get(job.kind) or selectors.kind_label(job.kind)
    return render(request, "dataio/job_list.html", {
        "form": form, "jobs": jobs, "kinds": kinds,
    }, status=400 if form.errors else 200)


def _mapping_context(job: ImportJob, form: MappingForm | None = None) -> dict[str, Any]:
    importer = get_importer(job.kind)
    fields = importer.available_fields(job.created_by)
    form = form or MappingForm(headers=job.headers, fields=fields, mapping=job.mapping)
    try:
        sample = services.job_table(job).sample
    except (TableError, OSError):
        sample = []
    columns = [
        {"header": header, "field": form[f"col_{i}"], "samples": [cell_text(r.get(i)) for r in sample[:3]]}
        for i, header in enumerate(job.headers)
    ]
    return {"mapping_form": form, "columns": columns, "fields": fields, "description": importer.description}


def _report_context(job: ImportJob) -> dict[str, Any]:
    labels = {}
    with contextlib.suppress(KeyError):
        labels = {f.name: f.label for f in get_importer(job.kind).available_fields(job.created_by)}
    report = job.report or {}
    errors = report.get("errors", [])
    return {
        "counts": job.counts or {},
        "errors": [{**e, "label": labels.get(e.get("field"), "")} for e in errors],
        "errors_total": report.get("errors_total", 0),
        "errors_cut": report.get("errors_total", 0) > len(errors),
        "notes": report.get("notes", []),
    }


@login_required
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The job at whatever step it is."""
    job = _job_or_404(request, pk)
    context: dict[str, Any] = {
        "job": job, "can_act": selectors.import_job_may_act(user=request.user, job=job),
        "kind_label": selectors.kind_label(job.kind),
    }
    remap = request.GET.get("remap") and context["can_act"] and job.status in (ImportStatus.CHECKED,
                                                                               ImportStatus.FAILED)
    if job.status == ImportStatus.MAPPING or remap:
        context.update(_mapping_context(job))
        context["remapping"] = bool(remap)
    elif job.running:
        context["progress"] = selectors.import_job_progress(job=job)
    else:
        context.update(_report_context(job))
    return render(request, "dataio/job_detail.html", context)


@login_required
@require_POST
def job_map(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the mapping and run the dry run (here for small files, in the background for large)."""
    job = _job_or_404(request, pk, "change")
    importer = get_importer(job.kind)
    form = MappingForm(request.POST, headers=job.headers, fields=importer.available_fields(job.created_by),
                       mapping=job.mapping)
    if form.is_valid():
        mapping = form.mapping()
        if form.twice:
            labels = {f.name: f.label for f in importer.available_fields(job.created_by)}
            for name in form.twice:
                form.add_error(None, _("“%(field)s” is chosen for two columns.") % {"field": labels.get(name, name)})
        else:
            try:
                services.import_job_map(actor=request.user, job_id=job.pk, mapping=mapping)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                return redirect("dataio:job_detail", pk=job.pk)
    job.refresh_from_db()
    context = {"job": job, "can_act": True, "kind_label": selectors.kind_label(job.kind),
               **_mapping_context(job, form)}
    if job.status != ImportStatus.MAPPING:
        context["remapping"] = True
    return render(request, "dataio/job_detail.html", context, status=400)


@login_required
@require_POST
def job_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk, "change")
    try:
        services.import_job_confirm(actor=request.user, job_id=job.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("dataio:job_detail", pk=job.pk)


@login_required
@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk, "change")
    try:
        services.import_job_cancel(actor=request.user, job_id=job.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("dataio:job_detail", pk=job.pk)
    messages.success(request, _("Import cancelled; its file was deleted."))
    return redirect("dataio:job_list")


@login_required
@require_GET
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar (htmx polls it); once the job stops running, the page reloads itself."""
    job = _job_or_404(request, pk)
    if not job.running:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    progress = selectors.import_job_progress(job=job)
    if not is_htmx(request):
        return redirect("dataio:job_detail", pk=job.pk)
    return render(request, "dataio/job_detail.html#progress", {"job": job, "progress": progress})


@login_required
@require_GET
def job_errors(request: HttpRequest, pk: int) -> HttpResponse:
    """The report's invalid rows as CSV (UTF-8 with BOM, for Excel), to fix the file row by row."""
    job = _job_or_404(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([_("Row"), _("Column"), _("Value"), _("Problem")])
    for e in (job.report or {}).get("errors", []):
        writer.writerow([e["row"], e["column"], _safe(e.get("value", "")), e["message"]])
    return response


def _safe(value: str) -> str:
    """No formula from a cell value when the error list is opened in a spreadsheet."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


@login_required
@require_GET
def template(request: HttpRequest, kind: str) -> HttpResponse:
    """The template of one kind of import (?format=csv or xlsx): its columns named in the user's
    language, one example row, and (XLSX) the allowed values of the choice columns."""
    kinds = dict(_kinds(request))
    if kind not in kinds:
        raise Http404
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        return HttpResponseBadRequest(_("Unknown export format."))
    fields = get_importer(kind).available_fields(request.user)
    name = f"kehu-{kind}-{timezone.localdate():%Y%m%d}.{fmt}"
    if fmt == "xlsx":
        response = HttpResponse(samples.template_xlsx(kind, str(kinds[kind]), fields, request.user),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    else:
        response = HttpResponse(samples.template_csv(kind, fields, request.user),
                                content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def job_url(job: ImportJob) -> str:
    return reverse("dataio:job_detail", args=[job.pk])


@login_required
@require_GET
def export(request: HttpRequest, kind: str) -> Any:
    """A filtered list (customers, orders, interactions) as CSV or XLSX: the list page's filters in
    the query string, the user's scope and masking, recorded in the access log."""
    specs = exports.exports()
    if kind not in specs:
        raise Http404
    if not request.user.can(Cap.EXPORT):
        raise PermissionDenied(_("Your role may not export data."))
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        return HttpResponseBadRequest(_("Unknown export format."))
    filters = specs[kind].filters(request.user, request.GET)
    return exports.export_response(user=request.user, kind=kind, filters=filters, fmt=fmt)
