"""Calendar pages: one's own day, week and month, the team side by side, appointments (add, edit,
delete, .ics, record the outcome), and the private iCalendar feed. Thin: reads through
work.selectors_calendar, writes through work.services_calendar. Times are shown in the active time
zone — the business zone (settings.TIME_ZONE): users have no zone of their own yet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.concurrency import StaleWrite, version_initial
from core.forms import add_errors
from customers.records.access import customer_or_404, record_or_404
from work import selectors_calendar as selectors
from work import services_calendar as services
from work.calendar_registry import outcome_recorder
from work.conflicts import day_start
from work.forms_calendar import AppointmentForm
from work.ical import calendar_ics
from work.models.calendar import Appointment
from work.selectors_calendar import CalendarEntry
from work.selectors_tasks import TaskSlot, tasks_in_range, team_tasks_in_range

# The feed shows this much of the past and the future (calendars re-read it every few hours).
FEED_PAST, FEED_FUTURE = timedelta(days=92), timedelta(days=400)


def _day(request: HttpRequest) -> date:
    try:
        return date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return timezone.localdate()


def _range(first: date, days: int) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return day_start(first, zone), day_start(first + timedelta(days=days), zone)


def _url_maker(name: str) -> Any:
    """pk -> the URL `name` with that pk, reversed once (a team's week shows 300 entries)."""
    before, after = reverse(name, args=[0]).rsplit("/0/", 1)
    return lambda pk: f"{before}/{pk}/{after}"


def _by_day(entries: Sequence[CalendarEntry], first: date, days: int,
            tasks: Sequence[TaskSlot] = ()) -> list[tuple[date, list[dict[str, Any]]]]:
    """Each day of the range with the entries that touch it (a two-day meeting shows on both days),
    as the templates show them: time label and URLs computed here once per entry; with the
    `tasks` due then (one's own calendar), each at its due time."""
    zone = timezone.get_current_timezone()
    detail, move = _url_maker("work:appointment_detail"), _url_maker("work:appointment_move")
    all_day = _("all day")
    shown = []
    for e in entries:
        label = all_day if e.all_day else (
            f"{e.starts_at.astimezone(zone):%H:%M}–{e.ends_at.astimezone(zone):%H:%M}")
        shown.append((e, {"busy": e.busy, "time": label, "title": e.title, "kind": e.kind,
                          "customer": e.customer_name, "conflict": e.conflict_noted,
                          "url": detail(e.id) if e.id else "", "move_url": move(e.id) if e.id else ""}))
    edit_task = _url_maker("work:task_edit")
    due = [(t.start, {"task": True, "busy": t.task is None, "time": (
        f"{t.start.astimezone(zone):%H:%M}–{t.end.astimezone(zone):%H:%M}" if t.end
        else f"{t.start.astimezone(zone):%H:%M}"),
        "title": t.task.title if t.task else "", "url": edit_task(t.task_id) if t.task else ""})
           for t in tasks]
    out = []
    for n in range(days):
        day = first + timedelta(days=n)
        start, end = day_start(day, zone), day_start(day + timedelta(days=1), zone)
        out.append((day, [s for e, s in shown if e.starts_at < end and e.ends_at > start]
                    + [s for at, s in due if start <= at < end]))
    return out


def _own(request: HttpRequest, first: date, days: int) -> list[tuple[date, list[dict[str, Any]]]]:
    """One's own calendar: appointments and the open tasks due at a time (work.selectors_tasks)."""
    start, end = _range(first, days)
    user = request.user
    entries = selectors.calendar_entries(user=user, start=start, end=end)  # type: ignore[arg-type]
    return _by_day(entries, first, days, tasks_in_range(user, start, end))  # type: ignore[arg-type]


def _render(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """The page, or only its calendar body for htmx's prev/next/today (Vary: HX-Request)."""
    if request.headers.get("HX-Request"):
        template += "#calendar-body"
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


def _nav(view: str, day: date, step: timedelta | None, first: date) -> dict[str, Any]:
    if step is None:  # a month
        prev_day = (first - timedelta(days=1)).replace(day=1)
        next_day = (first + timedelta(days=32)).replace(day=1)
    else:
        prev_day, next_day = first - step, first + step
    return {"view": view, "day": day, "prev_day": prev_day, "next_day": next_day, "today": timezone.localdate(),
            "url_name": f"work:calendar_{view}"}


@login_required
@require_GET
def calendar_day(request: HttpRequest) -> HttpResponse:
    day = _day(request)
    return _render(request, "work/calendar/day.html", {
        **_nav("day", day, timedelta(days=1), day), "days": _own(request, day, 1), "title": _("Day")})


@login_required
@require_GET
def calendar_week(request: HttpRequest) -> HttpResponse:
    day = _day(request)
    first = day - timedelta(days=day.weekday())
    return _render(request, "work/calendar/week.html", {
        **_nav("week", day, timedelta(days=7), first), "days": _own(request, first, 7), "title": _("Week")})


@login_required
@require_GET
def calendar_month(request: HttpRequest) -> HttpResponse:
    day = _day(request)
    month_first = day.replace(day=1)
    first = month_first - timedelta(days=month_first.weekday())
    days = 42  # six weeks: every month fits
    by_day = _own(request, first, days)
    weeks = [by_day[i:i + 7] for i in range(0, days, 7)]
    return _render(request, "work/calendar/month.html", {
        **_nav("month", day, None, month_first), "weeks": weeks, "month": month_first, "title": _("Month")})


@login_required
@require_GET
def calendar_team(request: HttpRequest) -> HttpResponse:
    """The team's week side by side; other people's appointments the viewer may not see are "busy"."""
    day = _day(request)
    first = day - timedelta(days=day.weekday())
    start, end = _range(first, 7)
    try:
        team_id = int(request.GET.get("team", "")) if request.GET.get("team") else None
    except ValueError:
        team_id = None
    members = selectors.calendar_team_members(viewer=request.user, team_id=team_id)  # type: ignore[arg-type]
    rows = selectors.team_calendar(viewer=request.user, members=members, start=start, end=end)  # type: ignore[arg-type]
    # Tasks that take a slot hold the member's time as appointments do (busy where the viewer may not
    # see the task); tasks due at a mere point in time stay in their own calendar.
    slots: dict[int, list[TaskSlot]] = {m.pk: [] for m in members}
    for t in team_tasks_in_range([m.pk for m in members], start, end, viewer=request.user,  # type: ignore[arg-type]
                                 slots_only=True):
        if t.assignee_id in slots:
            slots[t.assignee_id].append(t)
    return _render(request, "work/calendar/team.html", {
        **_nav("team", day, timedelta(days=7), first),
        "dates": [first + timedelta(days=n) for n in range(7)],
        "rows": [(member, _by_day(entries, first, 7, slots[member.pk])) for member, entries in rows],
        "title": _("Team calendar")})


# --- appointments ---------------------------------------------------------------------------------

def _read(request: HttpRequest, pk: int, action: str = "view") -> Appointment:
    return record_or_404(
        Appointment, request.user, pk, action,  # type: ignore[arg-type]
        read=lambda user, pk: selectors.appointment_read(user=user, appointment_id=pk),
        denied=_("Only the organiser, or who may change the customer, may change this appointment."))


def _form_page(request: HttpRequest, form: AppointmentForm, *, customer: Any, obj: Appointment | None,
               conflicts: list[services.Conflict] | None = None, status: int = 200) -> HttpResponse:
    cancel = reverse("work:appointment_detail", args=[obj.pk]) if obj else reverse("work:calendar_week")
    return render(request, "work/calendar/appointment_form.html", {
        "form": form, "customer": customer, "object": obj, "conflicts": conflicts or [], "cancel_url": cancel,
        "title": _("Edit appointment") if obj else _("New appointment")}, status=status)


def _save(request: HttpRequest, form: AppointmentForm, *, customer: Any, obj: Appointment | None) -> HttpResponse:
    """Save through the service; conflicts show on the form page with "Save anyway" (409)."""
    data = form.service_data()
    users = [u.pk for u in form.cleaned_data["users"]]
    contacts = [c.pk for c in form.cleaned_data.get("contacts") or []]
    save_anyway = form.cleaned_data["save_anyway"]
    try:
        if obj is None:
            if customer is not None:
                data["customer"] = customer.pk
            saved = services.appointment_create(actor=request.user, data=data, users=users,  # type: ignore[arg-type]
                                                contacts=contacts, save_anyway=save_anyway)
        else:
            saved = services.appointment_update(
                actor=request.user, appointment_id=obj.pk, data=data, users=users,  # type: ignore[arg-type]
                contacts=contacts if "contacts" in form.fields else None, save_anyway=save_anyway,
                expected_version=form.expected_version)
    except services.AppointmentConflicts as exc:
        again = form.data.copy()
        again["save_anyway"] = "on"
        bound = AppointmentForm(again, actor=request.user, customer=customer,  # type: ignore[arg-type]
                                attendee_ids=users)
        bound.is_valid()
        return _form_page(request, bound, customer=customer, obj=obj, conflicts=exc.conflicts, status=409)
    except StaleWrite as conflict:
        fresh = _read(request, obj.pk, "change") if obj else None
        again_form = _edit_form(request, fresh, customer) if fresh else form
        again_form.show_conflict(conflict, submitted=form)
        return _form_page(request, again_form, customer=customer, obj=fresh, status=409)
    except ValidationError as exc:
        add_errors(form, exc)
        return _form_page(request, form, customer=customer, obj=obj, status=400)
    messages.success(request, _("Appointment saved.") if not saved.conflict_noted
                     else _("Appointment saved despite the conflicts."))
    return redirect(f"{reverse('work:calendar_week')}?date={timezone.localtime(saved.starts_at).date()}")


def _edit_form(request: HttpRequest, obj: Appointment, customer: Any) -> AppointmentForm:
    users = [a.user_id for a in obj.attendees.all()]
    initial = {"kind": obj.kind, "title": obj.title, "all_day": obj.all_day,
               "starts_at": timezone.localtime(obj.starts_at), "ends_at": timezone.localtime(obj.ends_at),
               "start_date": obj.start_date, "end_date": obj.end_date, "recurrence": obj.recurrence,
               "recurrence_until": obj.recurrence_until, "location": obj.location, "notes": obj.notes,
               "users": [u for u in users if u != obj.organiser_id], "contacts": [c.pk for c in obj.contacts.all()],
               **version_initial(obj)}
    return AppointmentForm(initial=initial, actor=request.user, customer=customer,  # type: ignore[arg-type]
                           attendee_ids=users)


@login_required
def appointment_add(request: HttpRequest) -> HttpResponse:
    """A new appointment; `?customer=<id>` for one with a customer (the card links here), `?date=` its day."""
    customer = None
    if request.GET.get("customer", "").isdigit():
        customer = customer_or_404(request.user, int(request.GET["customer"]), "change")  # type: ignore[arg-type]
    if request.method == "POST":
        form = AppointmentForm(request.POST, actor=request.user, customer=customer)  # type: ignore[arg-type]
        if form.is_valid():
            return _save(request, form, customer=customer, obj=None)
        return _form_page(request, form, customer=customer, obj=None, status=400)
    day = _day(request)
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=10))
    form = AppointmentForm(initial={"starts_at": start, "ends_at": start + timedelta(hours=1), "start_date": day},
                           actor=request.user, customer=customer)  # type: ignore[arg-type]
    return _form_page(request, form, customer=customer, obj=None)


@login_required
def appointment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    obj = _read(request, pk, "change")
    customer = obj.customer
    if request.method == "POST":
        form = AppointmentForm(request.POST, actor=request.user, customer=customer,  # type: ignore[arg-type]
                               attendee_ids=[a.user_id for a in obj.attendees.all()])
        if form.is_valid():
            return _save(request, form, customer=customer, obj=obj)
        return _form_page(request, form, customer=customer, obj=obj, status=400)
    return _form_page(request, _edit_form(request, obj, customer), customer=customer, obj=obj)


@login_required
def appointment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    obj = _read(request, pk, "change")
    if request.method == "POST":
        services.appointment_delete(actor=request.user, appointment_id=obj.pk)  # type: ignore[arg-type]
        messages.success(request, _("Appointment deleted."))
        return redirect("work:calendar_week")
    return render(request, "work/calendar/appointment_delete.html", {"object": obj})


@login_required
@require_GET
def appointment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    obj = _read(request, pk)
    may_change = Appointment.objects.restrict(request.user, "change").filter(pk=pk).exists()
    return render(request, "work/calendar/appointment_detail.html", {
        "object": obj, "may_change": may_change,
        "may_record_outcome": may_change and outcome_recorder() is not None and obj.customer_id is not None
        and obj.outcome_id is None})


@login_required
@require_POST
def appointment_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    """Record what came of the appointment in one step (as an interaction, through the registry)."""
    obj = _read(request, pk, "change")
    try:
        services.appointment_outcome_record(actor=request.user, appointment_id=obj.pk,  # type: ignore[arg-type]
                                            outcome=request.POST.get("outcome", ""))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Outcome recorded."))
    return redirect("work:appointment_detail", pk=obj.pk)


@login_required
@require_GET
def appointment_ics(request: HttpRequest, pk: int) -> HttpResponse:
    obj = _read(request, pk)
    response = HttpResponse(calendar_ics([obj]), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="appointment-{obj.pk}.ics"'
    return response


# --- the private feed ---------------------------------------------------------------------------------

@login_required
def calendar_feed_settings(request: HttpRequest) -> HttpResponse:
    """Make (or reset) the private subscription URL; it is shown once, after the POST."""
    feed_url = None
    if request.method == "POST":
        token = services.calendar_feed_reset(actor=request.user)  # type: ignore[arg-type]
        feed_url = request.build_absolute_uri(reverse("work:calendar_feed", args=[token]))
    has_feed = hasattr(request.user, "calendar_feed")
    return render(request, "work/calendar/feed.html", {"feed_url": feed_url, "has_feed": has_feed})


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The user's own calendar as iCalendar, no login: the token is the credential (404 when wrong)."""
    user = selectors.calendar_feed_user(token)
    if user is None:
        raise Http404
    now = timezone.now()
    appointments = selectors.feed_appointments(user=user, start=now - FEED_PAST, end=now + FEED_FUTURE)
    response = HttpResponse(calendar_ics(appointments, name=_("kehu calendar of %(user)s") % {"user": user}),
                            content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response



@login_required
@require_POST
def appointment_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Drag and drop in the week view (static/kehu/calendar.js): move to the day `day` (YYYY-MM-DD) at
    the same time of day. 204 when moved; 409 with the conflicts as text (the script asks, then posts
    again with `save_anyway`); 400 for a bad day."""
    obj = _read(request, pk, "change")
    try:
        day = date.fromisoformat(request.POST.get("day", ""))
    except ValueError:
        return HttpResponse(_("Choose a day."), status=400, content_type="text/plain; charset=utf-8")
    if obj.all_day and obj.start_date and obj.end_date:
        shift = day - obj.start_date
        data: dict[str, Any] = {"start_date": obj.start_date + shift, "end_date": obj.end_date + shift}
    else:
        shift = day - timezone.localtime(obj.starts_at).date()
        data = {"starts_at": obj.starts_at + shift, "ends_at": obj.ends_at + shift}
    try:
        services.appointment_update(actor=request.user, appointment_id=obj.pk, data=data,  # type: ignore[arg-type]
                                    save_anyway=request.POST.get("save_anyway") == "1",
                                    expected_version=request.POST.get("version") or None)
    except services.AppointmentConflicts as exc:
        lines = [_("This time overlaps other appointments:")] + [
            f"{c.user_name}: {timezone.localtime(c.starts_at):%Y-%m-%d %H:%M} "
            f"{_('busy') if c.busy_only else c.title}" for c in exc.conflicts]
        return HttpResponse("\n".join(lines), status=409, content_type="text/plain; charset=utf-8")
    except StaleWrite as conflict:
        return HttpResponse(conflict.message, status=409, content_type="text/plain; charset=utf-8")
    except ValidationError as exc:
        return HttpResponse("\n".join(exc.messages), status=400, content_type="text/plain; charset=utf-8")
    return HttpResponse(status=204)
