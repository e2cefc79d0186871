"""Pages of the plan (营销过程管理): the monthly plan (targets, actual, completion, forecast), the daily
log and the weekly plan, for oneself and — managers and administrators — side by side for a team.

Thin: reads through work.selectors_plans, writes through work.services_plans. A user or team outside
the viewer's reach answers 404, as one that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import Team, User
from core.tabular import download
from work import plan_registry as reg
from work import selectors_plans as sel
from work import services_plans as services

ONE_DAY = timedelta(days=1)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _parse(value: str | None, fmt: str, default: date) -> date:
    """A date from a query parameter in `fmt`; missing → default; malformed → ValidationError."""
    if not value:
        return default
    try:
        return datetime.strptime(value, fmt).date()
    except ValueError as exc:
        raise ValidationError(_("“%(value)s” is not a valid date.") % {"value": value}) from exc


def _month(request: AuthenticatedHttpRequest) -> date:
    return _parse(request.GET.get("month") or request.POST.get("month"), "%Y-%m", sel.business_today()).replace(day=1)


def _week(value: str | None) -> date:
    if not value:
        return sel.week_start(sel.business_today())
    try:
        return datetime.strptime(value + "-1", "%G-W%V-%u").date()
    except ValueError as exc:
        raise ValidationError(_("“%(value)s” is not a valid week (e.g. 2026-W05).") % {"value": value}) from exc


def _team_and_users(request: AuthenticatedHttpRequest) -> tuple[Team | None, list[User], list[Team]]:
    """The team shown (the viewer's for a manager, the chosen one for an administrator) and its
    members; for everyone else no team and the viewer alone."""
    viewer = request.user
    teams = list(sel.plan_teams(viewer))
    if not teams:
        return None, [viewer], teams
    team_id = _int(request.GET.get("team"))
    if team_id is None:
        team = next((t for t in teams if t.pk == viewer.team_id), teams[0])
    else:
        team = next((t for t in teams if t.pk == team_id), None)
        if team is None:
            raise Http404
    return team, list(sel.plan_users(viewer).filter(team=team)), teams


def _error_page(request: AuthenticatedHttpRequest, exc: ValidationError) -> HttpResponse:
    messages.error(request, " ".join(exc.messages))
    return redirect(request.path)


@login_required
@require_GET
def plan_month(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The monthly plan (月计划): target, actual so far, completion and forecast per person and team."""
    try:
        month = _month(request)
    except ValidationError as exc:
        return _error_page(request, exc)
    team, users, teams = _team_and_users(request)
    progress = sel.month_progress(viewer=request.user, month=month, users=users, team=team)
    return render(request, "work/plans/month.html", {
        "tab": "month", "progress": progress, "team": team, "teams": teams, "users": users,
        "metrics": reg.metrics(), "may_set": sel.may_set_targets(request.user) and team is not None,
        "month_value": f"{month:%Y-%m}", "previous": f"{sel.month_start(month - ONE_DAY):%Y-%m}",
        "next": f"{sel.month_end(month) + ONE_DAY:%Y-%m}",
    })


@login_required
@require_POST
def target_set(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Set or (with an empty value) remove one target from the monthly plan page."""
    who = request.POST.get("who", "")
    metric, value = request.POST.get("metric", ""), request.POST.get("value", "").strip()
    back = reverse("work:plan_month") + "?" + urlencode({"month": request.POST.get("month", ""),
                                                          "team": request.POST.get("team", "")})
    try:
        month = _month(request)
        user_id = _int(who[1:]) if who.startswith("u") else None
        team_id = _int(who[1:]) if who.startswith("t") else None
        if value:
            services.target_set(actor=request.user, month=month, metric=metric, value=value, user_id=user_id,
                                team_id=team_id)
            messages.success(request, _("Target saved."))
        else:
            target = sel.targets_visible(request.user).filter(
                month=month, metric=metric, user_id=user_id, team_id=team_id).first()
            if target is not None:
                services.target_delete(actor=request.user, target_id=target.pk)
                messages.success(request, _("Target removed."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    return redirect(back)


@login_required
@require_GET
def plan_export(request: AuthenticatedHttpRequest) -> StreamingHttpResponse | HttpResponse:
    """The monthly plan as XLSX: one row per person (and the team) and metric."""
    try:
        month = _month(request)
    except ValidationError as exc:
        return _error_page(request, exc)
    team, users, _teams = _team_and_users(request)
    progress = sel.month_progress(viewer=request.user, month=month, users=users, team=team)
    header = [_("Month"), _("Person or team"), _("Metric"), pgettext("plan", "Target"), _("Actual"),
              _("Completion (%)"), _("Forecast for the month")]

    def rows(_for_xlsx: bool) -> Iterator[list[Any]]:
        for row in progress.rows:
            for c in row.cells:
                yield [f"{month:%Y-%m}", row.label, str(c.metric.label), c.target, c.actual, c.completion,
                       c.forecast]

    return download(fmt="xlsx", filename=f"plan-{month:%Y-%m}.xlsx", header=header, rows=rows,
                    title=_("Monthly plan"))


@login_required
@require_http_methods(["GET", "POST"])
def plan_day(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The daily log (日程表) of one day: the viewer's own, or a team's side by side."""
    try:
        day = _parse(request.GET.get("day") or request.POST.get("day"), "%Y-%m-%d", sel.business_today())
    except ValidationError as exc:
        return _error_page(request, exc)
    if request.method == "POST":
        try:
            services.daily_log_save(actor=request.user, day=day, notes=request.POST.get("notes", ""))
            messages.success(request, _("Notes saved."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(reverse("work:plan_day") + "?" + urlencode({"day": day.isoformat()}))
    user_id = _int(request.GET.get("user"))
    logs = sel.daily_logs(viewer=request.user, users=_day_users(request, user_id), day=day)
    return render(request, "work/plans/day.html", {
        "tab": "day", "logs": logs, "day": day, "previous": day - ONE_DAY, "next": day + ONE_DAY,
        "single": user_id is not None,
    })


def _day_users(request: AuthenticatedHttpRequest, user_id: int | None) -> list[User]:
    """One person (`user`, whom the viewer may see: 404 otherwise) or everyone the viewer may see."""
    if user_id is None:
        return list(sel.plan_users(request.user).select_related("team")[:200])
    user = sel.plan_user(request.user, user_id)
    if user is None:
        raise Http404
    return [user]


@login_required
@require_GET
def plan_day_export(request: AuthenticatedHttpRequest) -> StreamingHttpResponse | HttpResponse:
    """The daily log as XLSX: one row per entry (time, source, what, customer) and per person's notes,
    masked as on the page."""
    try:
        day = _parse(request.GET.get("day"), "%Y-%m-%d", sel.business_today())
    except ValidationError as exc:
        return _error_page(request, exc)
    logs = sel.daily_logs(viewer=request.user, users=_day_users(request, _int(request.GET.get("user"))), day=day)
    zone = reg.business_zone()
    header = [_("Day"), _("Person"), _("Time"), _("Source"), _("What happened")]

    def rows(_for_xlsx: bool) -> Iterator[list[Any]]:
        for log in logs:
            for entry, source in log.labelled:
                yield [day.isoformat(), str(log.user), f"{entry.at.astimezone(zone):%H:%M}", source, entry.label]
            if log.notes:
                yield [day.isoformat(), str(log.user), "", _("Notes"), log.notes]

    return download(fmt="xlsx", filename=f"daily-log-{day:%Y-%m-%d}.xlsx", header=header, rows=rows,
                    title=_("Daily log"))


@login_required
@require_GET
def plan_week(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The weekly plan (周计划): customers to contact, contacted or not, suggestions, state changes."""
    try:
        week = _week(request.GET.get("week"))
    except ValidationError as exc:
        return _error_page(request, exc)
    user_id = _int(request.GET.get("user"))
    user = request.user if user_id is None else sel.plan_user(request.user, user_id)
    if user is None:
        raise Http404
    view = sel.weekly_plan(viewer=request.user, user=user, week=week)
    colleagues = list(sel.plan_users(request.user)[:200])
    overview = sel.weekly_overview(users=colleagues, week=week) if len(colleagues) > 1 else []
    return render(request, "work/plans/week.html", {
        "tab": "week", "view": view, "week_value": f"{week:%G-W%V}", "colleagues": colleagues, "overview": overview,
        "previous": f"{week - 7 * ONE_DAY:%G-W%V}", "next": f"{week + 7 * ONE_DAY:%G-W%V}",
        "own": user.pk == request.user.pk, "editable": week >= sel.week_start(sel.business_today()),
    })


@login_required
@require_GET
def plan_week_export(request: AuthenticatedHttpRequest) -> StreamingHttpResponse | HttpResponse:
    """A person's weekly plan as XLSX: the planned customers (contacted or not), then the week's state
    changes of their customers."""
    try:
        week = _week(request.GET.get("week"))
    except ValidationError as exc:
        return _error_page(request, exc)
    user_id = _int(request.GET.get("user"))
    user = request.user if user_id is None else sel.plan_user(request.user, user_id)
    if user is None:
        raise Http404
    view = sel.weekly_plan(viewer=request.user, user=user, week=week, suggest=0)
    header = [_("Week"), _("Person"), _("Customer"), _("Planned because"), _("Contacted"), _("Date"),
              _("State change")]
    yes, no = _("yes"), _("no")
    label = f"{week:%G-W%V}"

    def rows(_for_xlsx: bool) -> Iterator[list[Any]]:
        for r in view.rows:
            yield [label, str(user), r.name, " — ".join(x for x in (r.source, r.reason) if x), yes if r.done else no,
                   "", ""]
        for c in view.changes:
            yield [label, str(user), c.name, "", "", c.on.isoformat(), c.what]

    return download(fmt="xlsx", filename=f"weekly-plan-{label}.xlsx", header=header, rows=rows,
                    title=_("Weekly plan"))


@login_required
@require_POST
def plan_week_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Add a customer to (or, with remove, take one off) the viewer's own weekly plan."""
    try:
        week = _week(request.POST.get("week"))
    except ValidationError as exc:
        return _error_page(request, exc)
    customer_id = _int(request.POST.get("customer"))
    back = reverse("work:plan_week") + "?" + urlencode({"week": f"{week:%G-W%V}"})
    if customer_id is None:
        messages.error(request, _("Choose a customer."))
        return redirect(back)
    try:
        if request.POST.get("remove"):
            services.plan_entry_remove(actor=request.user, week=week, customer_id=customer_id)
        else:
            services.plan_entry_add(actor=request.user, week=week, customer_id=customer_id,
                                    source=request.POST.get("source", "chosen"),
                                    reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    return redirect(back)
