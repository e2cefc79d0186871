"""Issue 15's last pieces: each user's time zone, monthly repeats of appointments, tasks that take a
slot (conflicts both ways, the team view), the weekly plan's API, the daily log and weekly plan as XLSX."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from icalendar import Calendar
from openpyxl import load_workbook

from accounts.services import user_profile_update
from audit.models import ObjectChange
from core.testing import logged_in
from customers.tests.test_api import ApiClient
from interactions import services as interactions
from work import selectors_plans as plans
from work import services_plans
from work import services_tasks as tasks
from work.conflicts import Slot, occurrences, slots_conflict
from work.models import Task
from work.services_calendar import AppointmentConflicts, appointment_conflicts
from work.tests.calendar_helpers import ZONE, at, make_appointment

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


# --- monthly repeats (pure) ---------------------------------------------------------------------

def test_monthly_keeps_the_day_and_falls_back_to_a_shorter_months_end():
    first = datetime(2030, 1, 31, 9, tzinfo=ZONE)
    slot = Slot(starts_at=first, ends_at=first + timedelta(hours=1), recurrence="monthly", until=date(2030, 5, 31))
    assert [s.date() for s, _e in occurrences(slot, ZONE)] == [
        date(2030, 1, 31), date(2030, 2, 28), date(2030, 3, 31), date(2030, 4, 30), date(2030, 5, 31)]
    assert all(s.astimezone(ZONE).hour == 9 for s, _e in occurrences(slot, ZONE))
    # A window skips ahead without losing an occurrence.
    window = list(occurrences(slot, ZONE, datetime(2030, 4, 1, tzinfo=ZONE), datetime(2030, 5, 1, tzinfo=ZONE)))
    assert [s.date() for s, _e in window] == [date(2030, 4, 30)]


def test_a_monthly_slot_conflicts_only_on_its_days():
    first = datetime(2030, 1, 15, 9, tzinfo=ZONE)
    monthly = Slot(starts_at=first, ends_at=first + timedelta(hours=1), recurrence="monthly", until=date(2030, 12, 31))
    on_its_day = datetime(2030, 6, 15, 9, 30, tzinfo=ZONE)
    other_day = datetime(2030, 6, 16, 9, 30, tzinfo=ZONE)
    assert slots_conflict(monthly, Slot(starts_at=on_its_day, ends_at=on_its_day + timedelta(hours=1)), ZONE)
    assert not slots_conflict(monthly, Slot(starts_at=other_day, ends_at=other_day + timedelta(hours=1)), ZONE)


def test_a_series_keeps_the_wall_clock_of_its_own_zone_whoever_looks():
    """A weekly 09:00 planned in Berlin stays 09:00 Berlin across the change to summer time, also in
    the calendar of someone in Shanghai (where it moves from 16:00 to 15:00)."""
    first = datetime(2030, 3, 18, 9, tzinfo=BERLIN)
    slot = Slot(starts_at=first, ends_at=first + timedelta(hours=1), recurrence="weekly", until=date(2030, 4, 8),
                zone=BERLIN)
    seen = [s.astimezone(ZONE).hour for s, _e in occurrences(slot, ZONE)]
    assert seen == [16, 16, 15, 15]  # Berlin moves its clocks on 31 March 2030


# --- monthly appointments end to end --------------------------------------------------------------

def test_monthly_appointment_conflicts_and_ical_rule(sales_a):
    make_appointment(sales_a, at(31, 9) - timedelta(days=31 - 31), at(31, 10), title="Month end review",
                     recurrence="monthly", recurrence_until=date(2030, 12, 31))
    april_30 = datetime(2030, 4, 30, 9, 30, tzinfo=ZONE)
    with pytest.raises(AppointmentConflicts):
        make_appointment(sales_a, april_30, april_30 + timedelta(hours=1))
    make_appointment(sales_a, april_30 + timedelta(days=1), april_30 + timedelta(days=1, hours=1))  # 1 May: free
    series = Task.objects.none()  # noqa: F841 - the appointment is read back through the .ics below
    from work.models.calendar import Appointment
    appt = Appointment.objects.get(title="Month end review")
    cal = Calendar.from_ical(logged_in(sales_a).get(reverse("work:appointment_ics", args=[appt.pk])).content)
    (event,) = cal.walk("VEVENT")
    rule = event["RRULE"]
    assert rule["FREQ"] == ["MONTHLY"] and rule["BYMONTHDAY"] == [28, 29, 30, 31] and rule["BYSETPOS"] == [-1]
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai" and cal.walk("VTIMEZONE")


# --- the user's time zone ------------------------------------------------------------------------

def test_profile_time_zone_is_validated_and_pages_show_times_in_it(sales_a):
    with pytest.raises(ValidationError):
        user_profile_update(actor=sales_a, data={"time_zone": "Mars/Olympus"})
    make_appointment(sales_a, at(4, 10), at(4, 11), title="Zoned")
    page = logged_in(sales_a).get(reverse("work:calendar_day") + "?date=2030-03-04").content.decode()
    assert "10:00–11:00" in page
    user_profile_update(actor=sales_a, data={"time_zone": "Europe/Berlin"})
    # 10:00 in Shanghai is 03:00 in Berlin (winter time).
    page = logged_in(sales_a).get(reverse("work:calendar_day") + "?date=2030-03-04").content.decode()
    assert "03:00–04:00" in page and "10:00–11:00" not in page


def test_an_all_day_appointment_covers_the_attendees_own_days(sales_a, manager_a):
    user_profile_update(actor=manager_a, data={"time_zone": "Europe/Berlin"})
    make_appointment(manager_a, at(4, 0), at(4, 1), all_day=True, start_date=date(2030, 3, 5), title="Fair")
    # 08:00 on 6 March in Shanghai is 01:00 on 6 March in Berlin: after the Berlin day of the fair.
    six_am = datetime(2030, 3, 6, 8, tzinfo=ZONE)
    hits = appointment_conflicts(actor=sales_a, slot=Slot(starts_at=six_am, ends_at=six_am + timedelta(hours=1)),
                                 user_ids=[manager_a.pk])
    assert hits == []
    # 06:00 on 6 March in Shanghai is 23:00 on 5 March in Berlin: still the fair.
    early = datetime(2030, 3, 6, 6, tzinfo=ZONE)
    hits = appointment_conflicts(actor=sales_a, slot=Slot(starts_at=early, ends_at=early + timedelta(hours=1)),
                                 user_ids=[manager_a.pk])
    assert [c.title for c in hits] == ["Fair"]


# --- tasks that take a slot ----------------------------------------------------------------------

def _task(actor, customer, start, minutes, **data):
    return tasks.task_create(actor=actor, customer_id=customer.pk, data={
        "title": "Prepare offer", "due_at": start, "duration_minutes": minutes, **data})


def test_a_task_slot_conflicts_with_appointments_both_ways(sales_a, customer_a):
    meeting = make_appointment(sales_a, at(4, 10), at(4, 11), title="Board")
    with pytest.raises(ValidationError) as caught:
        _task(sales_a, customer_a, at(4, 10.5), 60)
    assert "Board" in str(caught.value) and not Task.objects.exists()
    task = _task(sales_a, customer_a, at(4, 10.5), 60, save_anyway=True)
    assert task.conflict_noted and task.slot_ends_at == at(4, 11.5)
    assert f"#{meeting.pk}" in ObjectChange.objects.get(object_type="work.task", object_id=task.pk).note
    # Touching is no conflict; a task without a duration blocks nothing.
    _task(sales_a, customer_a, at(4, 11.5), 30)
    tasks.task_create(actor=sales_a, customer_id=customer_a.pk, data={"title": "Call", "due_at": at(4, 12.25)})
    # An appointment over the task's slot names the task.
    with pytest.raises(AppointmentConflicts) as caught:
        make_appointment(sales_a, at(4, 11.75), at(4, 12.5))
    (conflict,) = caught.value.conflicts
    assert conflict.appointment_id is None and conflict.task_id is not None and conflict.title == "Prepare offer"


def test_a_slot_needs_a_due_time_and_done_tasks_free_it(sales_a, customer_a):
    with pytest.raises(ValidationError) as caught:
        tasks.task_create(actor=sales_a, customer_id=customer_a.pk, data={
            "title": "x", "due_on": at(4, 0).date(), "duration_minutes": 30})
    assert "duration_minutes" in caught.value.message_dict
    task = _task(sales_a, customer_a, at(5, 9), 60)
    tasks.task_done(actor=sales_a, task_id=task.pk)
    make_appointment(sales_a, at(5, 9), at(5, 10))  # the done task holds no time any more


def test_team_view_shows_task_slots_busy_to_who_may_not_see_them(sales_a, manager_a, customer_a, customer_b,
                                                                   make_user, team_a):
    _task(sales_a, customer_a, at(4, 14), 90)
    tasks.task_create(actor=sales_a, customer_id=customer_a.pk, data={"title": "Point task", "due_at": at(4, 15)})
    page = logged_in(manager_a).get(reverse("work:calendar_team") + "?date=2030-03-04").content.decode()
    assert "14:00–15:30" in page and "Prepare offer" in page and "Point task" not in page
    # A member of team A who sees every customer has a slot with team B's customer: busy to the others.
    boss = make_user("admin", team=team_a)
    _task(boss, customer_b, at(5, 9), 30, title="Secret plan")
    page = logged_in(sales_a).get(reverse("work:calendar_team") + "?date=2030-03-04").content.decode()
    assert "Secret plan" not in page and customer_b.name not in page and "09:00–09:30" in page


def test_task_api_takes_a_duration_and_refuses_a_conflict_unless_save_anyway(sales_a, customer_a):
    make_appointment(sales_a, at(4, 10), at(4, 11), title="Board")
    api = ApiClient(sales_a)
    body = {"customer": customer_a.pk, "title": "Offer", "due_at": at(4, 10).isoformat(), "duration_minutes": 30}
    answer = api.post("/tasks", body)
    assert answer.status_code == 400 and answer.json()["detail"][0]["loc"] == ["body", "duration_minutes"]
    assert "Board" in answer.json()["detail"][0]["msg"]
    answer = api.post("/tasks", {**body, "save_anyway": True})
    assert answer.status_code == 201 and answer.json()["conflict_noted"] and answer.json()["duration_minutes"] == 30


# --- the weekly plan's API and the XLSX exports ---------------------------------------------------

def test_weekly_plan_api(sales_a, sales_b, customer_a, customer_b):
    api = ApiClient(sales_a)
    week = plans.week_start(plans.business_today())
    answer = api.post("/weekly-plan/entries", {"week": week.isoformat(), "customer": customer_a.pk,
                                               "reason": "renewal"})
    assert answer.status_code == 201, answer.content
    assert [(r["customer"], r["reason"], r["contacted"]) for r in answer.json()["rows"]] == [
        (customer_a.pk, "renewal", False)]
    interactions.interaction_create(actor=sales_a, customer_id=customer_a.pk, data={
        "channel": "phone", "subject": "Called", "occurred_at": datetime.now(UTC)})
    assert api.get("/weekly-plan").json()["rows"][0]["contacted"] is True
    # Someone else's customer, a past week, another team's plan: refused.
    assert api.post("/weekly-plan/entries", {"week": week.isoformat(), "customer": customer_b.pk}).status_code == 404
    past = (week - timedelta(days=7)).isoformat()
    assert api.post("/weekly-plan/entries", {"week": past, "customer": customer_a.pk}).status_code in (400, 422)
    assert api.get("/weekly-plan", user=sales_b.pk).status_code == 404
    answer = api.delete(f"/weekly-plan/entries?week={week.isoformat()}&customer={customer_a.pk}")
    assert answer.status_code == 200 and answer.json()["rows"] == []


def _sheet(response):
    assert response.status_code == 200, response.content[:300]
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_daily_log_and_weekly_plan_download_as_xlsx(sales_a, customer_a):
    today = plans.business_today()
    interactions.interaction_create(actor=sales_a, customer_id=customer_a.pk, data={
        "channel": "phone", "subject": "Talked about the renewal", "occurred_at": datetime.now(UTC)})
    services_plans.daily_log_save(actor=sales_a, day=today, notes="Good day")
    client = logged_in(sales_a)
    rows = _sheet(client.get(reverse("work:plan_day_export") + f"?day={today.isoformat()}&user={sales_a.pk}"))
    assert rows[0][:2] == ["Day", "Person"]
    assert any(customer_a.name in str(r[4]) for r in rows[1:]) and rows[-1][3:] == ["Notes", "Good day"]
    week = plans.week_start(today)
    services_plans.plan_entry_add(actor=sales_a, week=week, customer_id=customer_a.pk, reason="renewal")
    rows = _sheet(client.get(reverse("work:plan_week_export") + f"?week={week:%G-W%V}"))
    assert rows[1][2] == customer_a.name and rows[1][4] == "yes"


@pytest.mark.parametrize(("rule", "until", "last"), [
    ("weekly", date(2030, 3, 27), date(2030, 3, 25)),   # the last day is not the series' weekday
    ("monthly", date(2030, 12, 31), date(2030, 12, 15)),
    ("daily", date(2030, 3, 6), date(2030, 3, 6)),
])
def test_a_series_spans_to_its_last_occurrence(rule, until, last):
    from work.conflicts import span

    first = datetime(2030, 3, 4, 9, tzinfo=ZONE) if rule != "monthly" else datetime(2030, 1, 15, 9, tzinfo=ZONE)
    slot = Slot(starts_at=first, ends_at=first + timedelta(hours=1), recurrence=rule, until=until)
    assert span(slot, ZONE) == (first, datetime.combine(last, first.timetz()) + timedelta(hours=1))
