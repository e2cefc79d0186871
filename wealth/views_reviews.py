"""Asset review pages: a customer's reviews, start a review, one review (lines with changes, charts,
risk fit, notes), the review sheet to print and as XLSX in the customer's language, the cadence.
Every view of a review and every download is written to the access log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import Cap
from audit.models import AccessAction
from core.concurrency import StaleWrite, version_initial
from core.forms import add_errors
from customers.records.access import customer_or_404, record_or_404
from wealth import selectors_reviews as selectors
from wealth import services_reviews as services
from wealth.forms_reviews import CadenceForm, ReviewNotesVersionedForm, ReviewStartForm, ScheduleForm
from wealth.models import AssetReview, ReviewSchedule
from wealth.review_sheet import review_workbook, sheet_language

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _review(user: Any, review_id: int, action: str = "view") -> AssetReview:
    return record_or_404(AssetReview, user, review_id, action, read=selectors.review_read,
                         denied=_("You may not do this with this review."))


def _log(request: HttpRequest, review: AssetReview, action: str, what: str) -> None:
    services.review_access_record(user=request.user, review=review, action=action, what=what)


@login_required
@require_GET
def review_list(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_or_404(request.user, customer_id)
    schedule = selectors.schedule_of(user=request.user, customer_id=customer.pk)
    return render(request, "wealth/reviews/review_list.html", {
        "customer": customer, "reviews": list(selectors.reviews_of(user=request.user, customer_id=customer.pk)),
        "schedule": schedule, "masked": selectors.amounts_masked(request.user),
        "can_change": request.user.can(Cap.CHANGE), "start_form": ReviewStartForm(),
        "can_manage": request.user.can(Cap.MANAGE_USERS),
        "schedule_form": ScheduleForm(instance=schedule or ReviewSchedule()),
        "today": timezone.localdate(),
    })


@login_required
@require_POST
def review_start(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_or_404(request.user, customer_id, "change")
    form = ReviewStartForm(request.POST)
    if form.is_valid():
        try:
            review = services.review_start(actor=request.user, customer_id=customer.pk,
                                           reviewed_on=form.cleaned_data["reviewed_on"])
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Review started: the holdings of today are recorded."))
            return redirect("wealth:review_detail", review.pk)
    else:
        messages.error(request, _("Enter a valid review date."))
    return redirect("wealth:review_list", customer.pk)


@login_required
@require_POST
def schedule_edit(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = customer_or_404(request.user, customer_id, "change")
    form = ScheduleForm(request.POST)
    if form.is_valid():
        services.schedule_update(actor=request.user, customer_id=customer.pk,
                                 important_flag=form.cleaned_data["important_flag"],
                                 language=form.cleaned_data["language"])
        messages.success(request, _("Review settings saved."))
    else:
        messages.error(request, _("Check the review settings."))
    return redirect("wealth:review_list", customer.pk)


def _detail_context(request: HttpRequest, review: AssetReview) -> dict[str, Any]:
    page = selectors.review_page(user=request.user, review=review)
    return {"customer": review.customer, "review": review, "page": page, "chart": page.chart_data()}


@login_required
@require_http_methods(["GET", "POST"])
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    """The review; its notes form posts here (the snapshot itself never changes)."""
    review = _review(request.user, review_id)
    status = 200
    form = ReviewNotesVersionedForm(instance=review, initial=version_initial(review))
    if request.method == "POST":
        review = _review(request.user, review_id, "change")
        form = ReviewNotesVersionedForm(request.POST, instance=review)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in ("notes", "next_steps", "next_review_on")}
            try:
                services.review_update(actor=request.user, review_id=review.pk, data=data,
                                       expected_version=form.expected_version)
            except StaleWrite as conflict:
                review = _review(request.user, review_id)
                submitted, form, status = form, ReviewNotesVersionedForm(
                    instance=review, initial=version_initial(review)), 409
                form.show_conflict(conflict, submitted=submitted)
            except ValidationError as exc:
                add_errors(form, exc)
                status = 422
            else:
                messages.success(request, _("Review notes saved."))
                return redirect("wealth:review_detail", review.pk)
        else:
            status = 422
    _log(request, review, AccessAction.VIEW, "page")
    context = _detail_context(request, review)
    context.update(form=form, can_change=request.user.can(Cap.CHANGE))
    return render(request, "wealth/reviews/review_detail.html", context, status=status)


@login_required
@require_GET
def review_sheet(request: HttpRequest, review_id: int) -> HttpResponse:
    """The review sheet to print and hand to the customer, in the customer's language."""
    review = _review(request.user, review_id)
    _log(request, review, AccessAction.EXPORT, "print")
    with translation.override(sheet_language(review.customer_id)):
        context = _detail_context(request, review)
        context["language"] = translation.get_language()
        return render(request, "wealth/reviews/review_sheet.html", context)


@login_required
@require_GET
def review_xlsx(request: HttpRequest, review_id: int) -> HttpResponse:
    review = _review(request.user, review_id)
    _log(request, review, AccessAction.EXPORT, "xlsx")
    with translation.override(sheet_language(review.customer_id)):
        page = selectors.review_page(user=request.user, review=review)
        content = review_workbook(page)
        filename = f"review-{review.customer_id}-{review.reviewed_on.isoformat()}.xlsx"
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def cadence_edit(request: HttpRequest) -> HttpResponse:
    if not request.user.can(Cap.MANAGE_USERS):
        raise PermissionDenied(_("Only administrators may change the review cadence."))
    rule = services.cadence()
    form = CadenceForm(request.POST or None, instance=rule,
                       initial={"important_tags": list(rule.important_tags.values_list("pk", flat=True))})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.cadence_update(actor=request.user, data=form.service_data(),
                                        tag_ids=[t.pk for t in form.cleaned_data["important_tags"]])
            except ValidationError as exc:
                add_errors(form, exc)
                status = 422
            else:
                messages.success(request, _("Review cadence saved; the due dates are being recomputed."))
                return redirect("wealth:review_cadence")
        else:
            status = 422
    return render(request, "wealth/reviews/cadence_form.html", {"form": form, "rule": rule,
                                                                "languages": settings.LANGUAGES}, status=status)


