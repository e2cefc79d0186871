"""Segmentation pages (D4): the schemes with their class sizes and charts, members of a class, saved
segments, user-defined rule schemes, and the card's manual classes and lifecycle marks.

Thin: every customer figure comes from segmentation.selectors (scoped to the viewer), every write
from a service (segmentation.saved / .rules / .manual / .services). Anyone logged in sees the pages
about the customers they may see; changing a customer's class needs the right to change that
customer; rule schemes and class managers are for administrators and managers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.roles import Cap
from core.tabular import FORMATS
from customers.models import Customer
from customers.records.access import customer_or_404
from segmentation import filters, selectors
from segmentation import rules as rule_services
from segmentation.builtins import NOT_SET
from segmentation.choices import LifecycleStage, SchemeKind
from segmentation.forms import (
    AssignForm,
    LifecycleMarkForm,
    RuleSchemeForm,
    RulesEditor,
    SavedSegmentForm,
    class_manager_updates,
    manager_choices,
    rule_class_rows,
    rule_classes_from_rows,
)
from segmentation.manual import scheme_applies, scheme_assign, scheme_class_manager_set
from segmentation.models import LifecycleMark, SavedSegment, Scheme, SchemeAssignment
from segmentation.rules import may_manage_schemes, rule_scheme_save
from segmentation.saved import saved_segment_create, saved_segment_delete, saved_segment_update, segment_may_change

# Bar colours of the lifecycle stages: warmer the closer the relationship, grey once lost.
STAGE_COLOURS = {
    LifecycleStage.NON_CUSTOMER: "#98a2b3", LifecycleStage.POTENTIAL: "#fda29b", LifecycleStage.TARGET: "#f97066",
    LifecycleStage.FIRST_TIME: "#f04438", LifecycleStage.REPEAT: "#d92d20", LifecycleStage.LOYAL: "#912018",
    LifecycleStage.LOST: "#667085",
}

PAGE_SIZE = 50
# The filter field of each computed scheme's class ("save these customers as a segment").
COMPUTED_FIELD = {"abc": "abc_tier", "rfm": "rfm_segment", "lifecycle": "lifecycle_stage", "loyalty": "loyalty",
                  "value_matrix": "value_class"}


def _first_error(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _page(request: HttpRequest, user: User, qs: Any) -> Any:
    try:
        return selectors.members_page(user=user, queryset=qs, cursor=request.GET.get("cursor") or None,
                                      size=PAGE_SIZE)
    except ValidationError:
        messages.warning(request, _("The page link was out of date; here is the first page."))
        return selectors.members_page(user=user, queryset=qs, size=PAGE_SIZE)


# --- Schemes -----------------------------------------------------------------------------------

@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """Every scheme, the last refresh, and the saved segments the user may use."""
    user = request.user
    as_of, refreshed_at = selectors.last_refresh()
    return render(request, "segmentation/overview.html", {
        "schemes": selectors.overview(user=user),
        "as_of": as_of, "refreshed_at": refreshed_at,
        "segments": list(selectors.saved_segments_visible(user)[:20]),
        "can_manage": may_manage_schemes(user),
    })


def _period(request: HttpRequest, as_of: date | None) -> tuple[date, date]:
    end = parse_date(request.GET.get("end") or "") or as_of or timezone.localdate()
    start = parse_date(request.GET.get("start") or "") or end - timedelta(days=364)
    if start > end:
        start, end = end, start
    return start, end


@login_required
@require_GET
def scheme_detail(request: HttpRequest, key: str) -> HttpResponse:
    """One scheme: class sizes and shares, revenue and profit, its chart, managers of classes."""
    user = request.user
    scheme = selectors.scheme_get(key)
    stats = selectors.scheme_stats(user=user, scheme=scheme)
    as_of, refreshed_at = selectors.last_refresh()
    context: dict[str, Any] = {"scheme": scheme, "stats": stats, "as_of": as_of, "refreshed_at": refreshed_at,
                               "can_manage": may_manage_schemes(user)}
    chart: dict[str, Any] = {"kind": "bar", "labels": [r.name for r in stats.rows],
                             "values": [r.count for r in stats.rows], "series": _("Customers")}
    if scheme.key == "abc":
        points = selectors.abc_pareto(user=user, total=stats.total)
        chart = {"kind": "pareto", "points": [[round(x * 100, 2), round(y * 100, 2)] for x, y in points],
                 "x": _("Share of customers, by profit (%)"), "y": _("Cumulative share of positive profit (%)"),
                 "a": _("A ends at profit share 50%"), "b": _("B ends at profit share 80%")}
    elif scheme.key == "rfm":
        grid = selectors.rfm_grid(user=user)
        context["grid"] = grid
        chart = {"kind": "none"}
    elif scheme.key == "value_matrix":
        context["potential_source"] = selectors.value_potential_source()
    elif scheme.key == "lifecycle":
        start, end = _period(request, as_of)
        flows = selectors.lifecycle_flows(user=user, start=start, end=end)
        context["flows"] = flows
        context["flow_rows"] = list(zip(flows.from_labels, flows.matrix, strict=True))
        # Stage sizes as bars in lifecycle order (LifecycleStage), lost included, each bar as high as
        # its count: a funnel drew the stages as steps and an empty stage as wide as a full one.
        by_key = {r.key: r for r in stats.rows}
        stages = [by_key[s] for s in LifecycleStage.values if s in by_key]
        chart = {"kind": "lifecycle",
                 "stages": {"labels": [r.name for r in stages], "values": [r.count for r in stages],
                            "colors": [STAGE_COLOURS.get(r.key, "#b42318") for r in stages],
                            "series": _("Customers"), "title": _("Customers by stage")},
                 "links": flows.links,
                 "flows_title": _("Changes of stage in the period")}
    context["chart"] = chart
    if context["can_manage"]:
        context["manager_choices"] = manager_choices()
    return render(request, "segmentation/scheme_detail.html", context)


@login_required
@require_POST
def scheme_managers(request: HttpRequest, key: str) -> HttpResponse:
    """Name the responsible manager of each class (administrators and managers)."""
    user = request.user
    if not may_manage_schemes(user):
        raise PermissionDenied(_("Only administrators and managers may name the managers of classes."))
    scheme = selectors.scheme_get(key)
    try:
        updates = class_manager_updates(request.POST, list(scheme.classes.all()))
        with transaction.atomic():
            for cls, manager in updates:
                scheme_class_manager_set(actor=user, class_id=cls.pk, manager=manager)
    except ValidationError as exc:
        messages.error(request, _first_error(exc))
    else:
        messages.success(request, _("Managers saved."))
    return redirect("segmentation:scheme_detail", key=key)


def _class_rule(scheme: Scheme, class_key: str) -> dict[str, Any]:
    """The filter condition selecting one class (to start a saved segment from it)."""
    if scheme.kind == SchemeKind.COMPUTED:
        return {"field": COMPUTED_FIELD[scheme.key], "op": "eq", "value": class_key}
    return {"field": filters.SCHEME_PREFIX + scheme.key, "op": "eq", "value": class_key}


@login_required
@require_GET
def class_members(request: HttpRequest, key: str, class_key: str) -> HttpResponse:
    """The customers of one class that the user may see, a keyset page at a time."""
    user = request.user
    scheme = selectors.scheme_get(key)
    qs = selectors.class_customers(user=user, scheme=scheme, class_key=class_key)
    cls = next(c for c in scheme.classes.all() if c.key == class_key)
    page = _page(request, user, qs)
    start = reverse("segmentation:segment_add") + "?" + _rules_query([_class_rule(scheme, class_key)])
    return render(request, "segmentation/class_members.html", {
        "scheme": scheme, "scheme_name": selectors.scheme_label(scheme), "cls": cls,
        "class_name": selectors.class_name(scheme, cls), "page": page, "segment_url": start,
    })


def _rules_query(rules: list[dict[str, Any]]) -> str:
    from urllib.parse import urlencode

    return urlencode({"rules": json.dumps(rules, ensure_ascii=False)})


# --- Rule schemes -------------------------------------------------------------------------------

def _save_then_redirect(request: HttpRequest, form: Any, save: Callable[[], Any], *, message: str,
                        to: Callable[[Any], str]) -> HttpResponse | None:
    """Run a form's service write. A ValidationError from the service goes on the form and None is returned
    (the service changed nothing, so the caller shows the form again); otherwise `message` is flashed and the
    answer redirects to `to(what save returned)`."""
    try:
        saved = save()
    except ValidationError as exc:
        form.add_error(None, exc.messages)
        return None
    messages.success(request, message)
    return redirect(to(saved))


def _delete_after_confirm(request: HttpRequest, delete: Callable[[], Any], *, question: str, explanation: str,
                          cancel_url: str, deleted: str, then: str) -> HttpResponse:
    """A delete page: GET asks `question` (with what deleting does), POST runs the service's `delete`, says
    `deleted` and goes on to `then`."""
    if request.method == "POST":
        delete()
        messages.success(request, deleted)
        return redirect(then)
    return render(request, "segmentation/confirm_delete.html", {
        "question": question, "explanation": explanation, "cancel_url": cancel_url,
    })


def _rule_scheme_form(request: HttpRequest, scheme: Scheme | None) -> HttpResponse:
    user = request.user
    if not may_manage_schemes(user):
        raise PermissionDenied(_("Only administrators and managers may define schemes."))
    segments = list(selectors.saved_segments_visible(user))
    catch_all = next((c for c in scheme.classes.all() if c.is_catch_all), None) if scheme else None
    initial = {"name": scheme.name, "description": scheme.description,
               "catch_all_name": catch_all.name if catch_all else ""} if scheme else {}
    form = RuleSchemeForm(request.POST or None, initial=initial)
    rows = rule_class_rows(request.POST if request.method == "POST" else None, user=user, scheme=scheme,
                           segments=segments)
    if request.method == "POST" and form.is_valid():
        def save() -> Scheme:
            return rule_scheme_save(actor=user, name=form.cleaned_data["name"],
                                    description=form.cleaned_data["description"], classes=rule_classes_from_rows(rows),
                                    catch_all_name=form.cleaned_data["catch_all_name"],
                                    scheme_id=scheme.pk if scheme else None)

        done = _save_then_redirect(
            request, form, save, message=_("Scheme saved; every customer has been placed in one of its classes."),
            to=lambda saved: reverse("segmentation:scheme_detail", kwargs={"key": saved.key}))
        if done:
            return done
    return render(request, "segmentation/rule_scheme_form.html", {
        "form": form, "rows": rows, "segments": segments, "scheme": scheme,
    })


@login_required
@require_http_methods(["GET", "POST"])
def rule_scheme_add(request: HttpRequest) -> HttpResponse:
    return _rule_scheme_form(request, None)


def _rule_scheme(key: str) -> Scheme:
    scheme = selectors.scheme_get(key)
    if scheme.kind != SchemeKind.RULES:
        raise Http404
    return scheme


@login_required
@require_http_methods(["GET", "POST"])
def rule_scheme_edit(request: HttpRequest, key: str) -> HttpResponse:
    return _rule_scheme_form(request, _rule_scheme(key))


@login_required
@require_http_methods(["GET", "POST"])
def rule_scheme_delete(request: HttpRequest, key: str) -> HttpResponse:
    user = request.user
    if not may_manage_schemes(user):
        raise PermissionDenied(_("Only administrators and managers may define schemes."))
    scheme = _rule_scheme(key)
    return _delete_after_confirm(
        request, lambda: rule_services.rule_scheme_delete(actor=user, scheme_id=scheme.pk),
        question=_("Delete the scheme “%(name)s”?") % {"name": scheme.name},
        explanation=_("Its classes and their memberships are removed; customers are not changed."),
        cancel_url=reverse("segmentation:scheme_detail", args=[key]),
        deleted=_("Scheme “%(name)s” deleted.") % {"name": scheme.name}, then=reverse("segmentation:overview"))


# --- Saved segments ------------------------------------------------------------------------------

@login_required
@require_GET
def segment_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    segments = list(selectors.saved_segments_visible(user))
    fields = filters.catalogue()
    rows = [{"segment": s, "conditions": filters.describe(s.rules, fields=fields),
             "may_change": segment_may_change(user, s)} for s in segments]
    return render(request, "segmentation/segment_list.html", {"rows": rows})


def _segment_form(request: HttpRequest, segment: SavedSegment | None) -> HttpResponse:
    user = request.user
    fields = filters.catalogue()
    initial_rules = segment.rules if segment else []
    if segment is None and request.GET.get("rules"):
        try:
            initial_rules = filters.validate_rules(json.loads(request.GET["rules"]), fields=fields)
        except (ValueError, ValidationError):
            initial_rules = []
    editor = RulesEditor(request.POST if request.method == "POST" else None, rules=initial_rules, fields=fields)
    initial = ({"name": segment.name, "description": segment.description,
                "shared_with_team": segment.shared_with_team_id, "shared_with_all": segment.shared_with_all}
               if segment else {})
    form = SavedSegmentForm(request.POST or None, user=user, editor=editor, initial=initial)
    preview = None
    if request.method == "POST":
        if "preview" in request.POST:
            if form.is_valid():
                preview = selectors.customers_matching(user=user, rules=form.cleaned_data["rules"]).count()
        elif form.require_name():
            data = form.cleaned_data
            kwargs = {"name": data["name"], "rules": data["rules"], "description": data["description"],
                      "team": data["shared_with_team"], "shared_with_all": data["shared_with_all"]}
            def save() -> SavedSegment:
                if segment is None:
                    return saved_segment_create(actor=user, **kwargs)
                return saved_segment_update(actor=user, segment_id=segment.pk, **kwargs)

            done = _save_then_redirect(request, form, save, message=_("Segment saved."),
                                       to=lambda saved: reverse("segmentation:segment_detail", kwargs={"pk": saved.pk}))
            if done:
                return done
    return render(request, "segmentation/segment_form.html", {
        "form": form, "editor": editor, "segment": segment, "preview": preview,
    })


@login_required
@require_http_methods(["GET", "POST"])
def segment_add(request: HttpRequest) -> HttpResponse:
    return _segment_form(request, None)


def _segment_for_change(user: User, pk: int) -> SavedSegment:
    segment = selectors.saved_segment_get(user=user, segment_id=pk)
    if not segment_may_change(user, segment):
        raise PermissionDenied(_("Only the creator of a segment or an administrator may change it."))
    return segment


@login_required
@require_http_methods(["GET", "POST"])
def segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _segment_form(request, _segment_for_change(request.user, pk))


@login_required
@require_http_methods(["GET", "POST"])
def segment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    segment = _segment_for_change(user, pk)
    return _delete_after_confirm(
        request, lambda: saved_segment_delete(actor=user, segment_id=segment.pk),
        question=_("Delete the segment “%(name)s”?") % {"name": segment.name},
        explanation=_("Only the saved filter is deleted; its customers are not changed."),
        cancel_url=reverse("segmentation:segment_detail", args=[pk]),
        deleted=_("Segment “%(name)s” deleted.") % {"name": segment.name}, then=reverse("segmentation:segment_list"))


@login_required
@require_GET
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The segment's members the viewer may see (count and keyset pages), evaluated now."""
    user = request.user
    segment = selectors.saved_segment_get(user=user, segment_id=pk)
    qs = selectors.saved_segment_customers(user=user, segment=segment)
    page = _page(request, user, qs)
    return render(request, "segmentation/segment_detail.html", {
        "segment": segment, "page": page, "count": qs.count(),
        "conditions": filters.describe(segment.rules),
        "may_change": segment_may_change(user, segment), "can_export": user.can(Cap.EXPORT),
    })


@login_required
@require_GET
def segment_export(request: HttpRequest, pk: int) -> Any:
    """The segment's members as CSV or XLSX (the customer export's columns), for roles that may
    export: scoped with the "export" action, masked and recorded in the audit trail."""
    from segmentation.exports import export_segment

    user = request.user
    if not user.can(Cap.EXPORT):
        raise PermissionDenied(_("Your role may not export customer data."))
    segment = selectors.saved_segment_get(user=user, segment_id=pk)
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        return HttpResponseBadRequest(_("Unknown export format."))
    return export_segment(user=user, segment=segment, fmt=fmt)


# --- The card: manual classes and lifecycle marks ------------------------------------------------

def _card_url(pk: int) -> str:
    return reverse("customers:customer_detail", args=[pk])


@login_required
@require_http_methods(["GET", "POST"])
def customer_scheme(request: HttpRequest, customer_pk: int, scheme_key: str) -> HttpResponse:
    """A customer's class of a manual scheme: the history, and a form to change it."""
    user = request.user
    customer = customer_or_404(user, customer_pk, "change" if request.method == "POST" else "view")
    scheme = selectors.scheme_get(scheme_key)
    if scheme.kind != SchemeKind.MANUAL or not scheme_applies(scheme.key, customer.kind):
        raise Http404
    classes = list(scheme.classes.all())
    history = list(SchemeAssignment.objects.restrict(user, "view").filter(customer_id=customer.pk, scheme=scheme)
                   .select_related("scheme_class", "assigned_by").order_by("-assigned_at", "-id")[:50])
    current = next((a for a in history if a.ended_at is None), None)
    can_change = user.can(Cap.CHANGE) and Customer.objects.restrict(user, "change").filter(pk=customer.pk).exists()
    note_help = (_("Organisational (OR), key-person (KR) and everyday (ER) relationships: who knows whom, how "
                   "strong each tie is.") if scheme.key == "org_relationship_class" else "")
    form = AssignForm(request.POST or None, choices=[(c.key, selectors.class_name(scheme, c)) for c in classes],
                      note_help=note_help,
                      initial={"class_key": current.scheme_class.key if current else NOT_SET,
                               "note": current.note if current else ""})
    if request.method == "POST" and form.is_valid():
        done = _save_then_redirect(
            request, form, lambda: scheme_assign(actor=user, customer_id=customer.pk, scheme_key=scheme.key,
                                                 class_key=form.cleaned_data["class_key"],
                                                 note=form.cleaned_data["note"]),
            message=_("Class saved."), to=lambda _saved: _card_url(customer.pk))
        if done:
            return done
    names = {c.pk: selectors.class_name(scheme, c) for c in classes}
    return render(request, "segmentation/customer_scheme.html", {
        "customer": customer, "scheme": scheme, "scheme_name": selectors.scheme_label(scheme), "form": form,
        "history": [(a, names.get(a.scheme_class_id, a.scheme_class.name)) for a in history],
        "can_change": can_change, "current_name": names.get(current.scheme_class_id) if current else
        names.get(next((c.pk for c in classes if c.is_catch_all), 0), ""),
    })


@login_required
@require_http_methods(["GET", "POST"])
def customer_lifecycle(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """Mark a customer target, non-customer or churned (with the reason), or clear the mark."""
    from segmentation.services import lifecycle_mark, lifecycle_mark_clear

    user = request.user
    customer = customer_or_404(user, customer_pk, "change" if request.method == "POST" else "view")
    marks = list(LifecycleMark.objects.restrict(user, "view").filter(customer_id=customer.pk)
                 .select_related("marked_by").order_by("-marked_on", "-id")[:50])
    current = next((m for m in marks if m.cleared_on is None), None)
    can_change = user.can(Cap.CHANGE) and Customer.objects.restrict(user, "change").filter(pk=customer.pk).exists()
    form = LifecycleMarkForm(request.POST or None, has_mark=current is not None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def save() -> Any:
            if data["kind"] == LifecycleMarkForm.CLEAR:
                return lifecycle_mark_clear(actor=user, customer_id=customer.pk, cleared_on=data["marked_on"])
            return lifecycle_mark(actor=user, customer_id=customer.pk, kind=data["kind"],
                                  marked_on=data["marked_on"], churn_reason=data["churn_reason"], note=data["note"])

        done = _save_then_redirect(
            request, form, save, to=lambda _saved: _card_url(customer.pk),
            message=_("Saved. The lifecycle stage follows at the next refresh of the segments."))
        if done:
            return done
    return render(request, "segmentation/customer_lifecycle.html", {
        "customer": customer, "form": form, "marks": marks, "current": current, "can_change": can_change,
    })
