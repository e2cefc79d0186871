"""Data governance pages: duplicate candidates, the merge page (both cards side by side, a choice per
field), the list of merges and their undoing (administrators)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import Cap
from customers.models import Customer
from governance import selectors, services
from governance.models import MatchKind

SHOWN = 100


def _may_merge(request: HttpRequest) -> None:
    if not request.user.can(Cap.DELETE):
        raise PermissionDenied(_("Your role may not merge customers."))


@login_required
@require_GET
def duplicate_list(request: HttpRequest) -> HttpResponse:
    """Candidate pairs, best first (the keys are brought up to date first: only changed customers)."""
    _may_merge(request)
    services.match_keys_refresh()
    try:
        min_score = max(0, min(100, int(request.GET.get("min", 25))))
    except ValueError:
        min_score = 25
    candidates = selectors.duplicate_candidates(user=request.user, limit=SHOWN, min_score=min_score)
    return render(request, "governance/duplicate_list.html", {
        "candidates": candidates, "reasons": dict(MatchKind.choices), "min_score": min_score, "shown": SHOWN,
    })


@login_required
@require_POST
def not_duplicate(request: HttpRequest, pk: int, other: int) -> HttpResponse:
    _may_merge(request)
    services.not_duplicate_mark(actor=request.user, first_id=pk, second_id=other)
    messages.success(request, _("The pair is no longer proposed."))
    return redirect("governance:duplicate_list")


@login_required
@require_http_methods(["GET", "POST"])
def merge(request: HttpRequest, pk: int, other: int) -> HttpResponse:
    """Customer `pk` is kept, `other` is merged into it; a radio per field picks whose value stays."""
    _may_merge(request)
    try:
        preview = selectors.merge_preview(user=request.user, survivor_id=pk, merged_id=other)
    except Customer.DoesNotExist as exc:
        raise Http404(_("No such customer.")) from exc
    if pk == other:
        raise Http404
    if request.method == "POST":
        take = [f.name for f in preview.fields if request.POST.get(f"field_{f.name}") == "merged"]
        try:
            record = services.customer_merge(actor=request.user, survivor_id=pk, merged_id=other, take=take,
                                             note=(request.POST.get("note") or "")[:200])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(merged)s was merged into %(survivor)s; %(count)s records moved.") % {
                "merged": preview.merged.name, "survivor": preview.survivor.name, "count": record.moved_count})
            return redirect(reverse("customers:customer_detail", args=[pk]))
    return render(request, "governance/merge.html", {"preview": preview})


@login_required
@require_GET
def merge_list(request: HttpRequest) -> HttpResponse:
    _may_merge(request)
    return render(request, "governance/merge_list.html", {
        "merges": selectors.merge_list(user=request.user), "can_undo": request.user.can(Cap.RESTORE),
    })


@login_required
@require_POST
def unmerge(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.can(Cap.RESTORE):
        raise PermissionDenied(_("Only administrators may undo a merge."))
    try:
        record = services.customer_unmerge(actor=request.user, merge_id=pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("governance:merge_list")
    message = _("The merge was undone: %(name)s is back with its records.") % {"name": record.merged.name}
    if getattr(record, "kept_fields", None):
        message += " " + _("Fields changed since the merge were left as they are: %(fields)s.") % {
            "fields": ", ".join(str(Customer._meta.get_field(f).verbose_name) for f in record.kept_fields)}
    messages.success(request, message)
    return redirect(reverse("customers:customer_detail", args=[record.merged_id]))
