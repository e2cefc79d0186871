"""Calendar pages, the API and the feed: one's own week, the team side by side with busy-only slots
(nothing of another team's customer on the page, in the JSON or in a feed), conflicts shown before
saving with "save anyway", and valid RFC 5545 text."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from core.testing import assert_query_baseline, logged_in
from customers.tests.test_api import ApiClient
from work.models.calendar import Appointment
from work.services_calendar import calendar_feed_reset
from work.tests.calendar_helpers import at, make_appointment

pytestmark = pytest.mark.django_db
WEEK = "2030-03-06"  # a Wednesday of the helpers' week


@pytest.fixture
def week(sales_a, manager_a, sales_b, customer_a, customer_b, make_user, team_a):
    """sales_a visits customer_a; team B's sales_b, who moved into team A's calendar view as an
    attendee of nothing of team A, has a visit with team B's customer at the same time."""
    colleague = make_user("sales", team_a, username="colleague_a")
    return {
        "own": make_appointment(sales_a, at(4, 10), at(4, 11), customer=customer_a.pk, title="Visit 张伟",
                                location="北京 office"),
        # A colleague's appointment with a customer sales_a does not see (customer_b is team B's).
        "hidden": make_appointment(sales_b, at(5, 14), at(5, 15), customer=customer_b.pk, title="Secret 李娜",
                                   location="上海 tower", notes="Discount 30%", users=(colleague,),
                                   save_anyway=True),
        "colleague": colleague,
    }


def test_week_view_shows_own_appointments(sales_a, week):
    page = logged_in(sales_a).get(reverse("work:calendar_week"), {"date": WEEK})
    text = page.content.decode()
    assert page.status_code == 200 and "Visit 张伟" in text and "张伟" in text and "10:00–11:00" in text
    assert "Secret" not in text


def test_week_view_in_chinese(sales_a, week):
    text = logged_in(sales_a, "zh-hans").get(reverse("work:calendar_week"), {"date": WEEK}).content.decode()
    assert "Visit 张伟" in text and "新建日程" in text


def test_htmx_navigation_answers_the_calendar_only(sales_a, week):
    page = logged_in(sales_a).get(reverse("work:calendar_week"), {"date": WEEK}, HTTP_HX_REQUEST="true")
    text = page.content.decode()
    assert text.lstrip().startswith('<div id="calendar"') and "<html" not in text and "Visit 张伟" in text
    assert "HX-Request" in page["Vary"]


@pytest.mark.parametrize("view", ["work:calendar_day", "work:calendar_month"])
def test_day_and_month_views(sales_a, week, view):
    text = logged_in(sales_a).get(reverse(view), {"date": "2030-03-04"}).content.decode()
    assert "Visit 张伟" in text


def test_team_view_shows_what_the_viewer_may_not_see_as_busy(sales_a, week):
    page = logged_in(sales_a).get(reverse("work:calendar_team"), {"date": WEEK})
    text = page.content.decode()
    assert page.status_code == 200 and "colleague_a" in text
    assert "busy" in text and "14:00–15:00" in text
    for secret in ("Secret", "李娜", "上海 tower", "Discount", str(week["hidden"].pk) + "/"):
        assert secret not in text, secret


def test_team_view_of_another_team_is_refused(sales_a, team_b):
    assert logged_in(sales_a).get(reverse("work:calendar_team"), {"team": team_b.pk}).status_code == 403


def test_team_api_is_busy_only_too(sales_a, week):
    answer = ApiClient(sales_a).get("/calendar/team", start=at(4, 0).isoformat(), end=at(11, 0).isoformat())
    assert answer.status_code == 200
    colleague = next(m for m in answer.json() if m["name"] == "colleague_a")
    assert colleague["appointments"] == [{
        "id": None, "starts_at": "2030-03-05T06:00:00Z", "ends_at": "2030-03-05T07:00:00Z", "all_day": False,
        "busy": True, "title": "", "kind": "", "location": "", "customer": None, "customer_name": ""}]
    assert "Secret" not in answer.content.decode()


def test_conflict_is_shown_before_saving_and_save_anyway_saves(sales_a, manager_a, week):
    client = logged_in(sales_a)
    form = {"kind": "meeting", "title": "Plan Q2", "starts_at": "2030-03-04T10:30", "ends_at": "2030-03-04T11:30",
            "users": [manager_a.pk]}
    page = client.post(reverse("work:appointment_add"), form)
    text = page.content.decode()
    assert page.status_code == 409 and "overlaps" in text and "Visit 张伟" in text and "Save anyway" in text
    assert not Appointment.objects.filter(title="Plan Q2").exists()
    saved = client.post(reverse("work:appointment_add"), {**form, "save_anyway": "on"})
    assert saved.status_code == 302
    assert Appointment.objects.get(title="Plan Q2").conflict_noted


def test_conflict_with_a_hidden_appointment_names_no_secret(sales_a, week):
    form = {"kind": "meeting", "title": "Lunch", "starts_at": "2030-03-05T14:00", "ends_at": "2030-03-05T14:30",
            "users": [week["colleague"].pk]}
    page = logged_in(sales_a).post(reverse("work:appointment_add"), form)
    text = page.content.decode()
    assert page.status_code == 409 and "busy" in text and "colleague_a" in text
    assert "Secret" not in text and "李娜" not in text


def test_edit_page_reschedules(sales_a, week):
    appt = week["own"]
    client = logged_in(sales_a)
    page = client.get(reverse("work:appointment_edit", args=[appt.pk]))
    assert page.status_code == 200
    answer = client.post(reverse("work:appointment_edit", args=[appt.pk]), {
        "kind": "visit", "title": "Visit 张伟", "starts_at": "2030-03-07T09:00", "ends_at": "2030-03-07T10:00",
        "version": page.context["form"].initial["version"]})
    assert answer.status_code == 302
    appt.refresh_from_db()
    assert appt.starts_at == at(7, 9)


def test_another_team_gets_404_for_the_pages_of_an_appointment(sales_b, week):
    client = logged_in(sales_b)
    for name in ("appointment_detail", "appointment_edit", "appointment_ics", "appointment_delete"):
        assert client.get(reverse(f"work:{name}", args=[week["own"].pk])).status_code == 404, name


def test_record_outcome_button_and_step(sales_a, week):
    client = logged_in(sales_a)
    detail = client.get(reverse("work:appointment_detail", args=[week["own"].pk])).content.decode()
    assert "Record outcome" in detail
    client.post(reverse("work:appointment_outcome", args=[week["own"].pk]), {"outcome": "Will buy"})
    week["own"].refresh_from_db()
    assert week["own"].outcome_id is not None


# --- iCalendar ----------------------------------------------------------------------------------

def _parsed(content: bytes) -> Calendar:
    cal = Calendar.from_ical(content)
    assert cal["VERSION"] == "2.0" and cal["PRODID"]
    for event in cal.walk("VEVENT"):
        for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"):
            assert prop in event, prop
    return cal


def test_feed_is_valid_and_private(sales_a, week, settings):
    token = calendar_feed_reset(actor=sales_a)
    url = reverse("work:calendar_feed", args=[token])
    # The feed covers the near past and future: the fixture's 2030 week is too far ahead; a near one is not.
    from django.utils import timezone
    soon = timezone.now().replace(microsecond=0) + timezone.timedelta(days=1)
    make_appointment(sales_a, soon, soon + timezone.timedelta(hours=1), title="Call tomorrow")
    answer = Client().get(url)  # no login
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/calendar")
    cal = _parsed(answer.content)
    (event,) = cal.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Call tomorrow" and event.decoded("DTSTART") == soon
    assert Client().get(reverse("work:calendar_feed", args=[token + "x"])).status_code == 404
    new = calendar_feed_reset(actor=sales_a)
    assert Client().get(url).status_code == 404  # the old address stops working
    assert Client().get(reverse("work:calendar_feed", args=[new])).status_code == 200


def test_feed_settings_page_shows_the_address_once(sales_a):
    client = logged_in(sales_a)
    answer = client.post(reverse("work:calendar_feed_settings"))
    url = answer.context["feed_url"]
    assert "/calendar/feed/" in url and url.endswith(".ics")
    assert "/calendar/feed/" not in client.get(reverse("work:calendar_feed_settings")).content.decode()


def test_ics_download_of_one_appointment(sales_a, week):
    answer = logged_in(sales_a).get(reverse("work:appointment_ics", args=[week["own"].pk]))
    (event,) = _parsed(answer.content).walk("VEVENT")
    assert event.decoded("DTSTART") == at(4, 10) and str(event["LOCATION"]) == "北京 office"


def test_all_day_appointments_are_dates_in_ical(sales_a):
    appt = Appointment.objects.get(pk=__import__("work.services_calendar", fromlist=["x"]).appointment_create(
        actor=sales_a, data={"title": "Fair", "all_day": True, "start_date": date(2030, 3, 5),
                             "end_date": date(2030, 3, 6)}).pk)
    answer = logged_in(sales_a).get(reverse("work:appointment_ics", args=[appt.pk]))
    (event,) = _parsed(answer.content).walk("VEVENT")
    assert event.decoded("DTSTART") == date(2030, 3, 5) and event.decoded("DTEND") == date(2030, 3, 7)


# --- API ------------------------------------------------------------------------------------------

def test_api_create_conflict_is_409_then_save_anyway(sales_a, manager_a, week):
    api = ApiClient(sales_a)
    body = {"kind": "call", "title": "Call", "starts_at": at(4, 10.5).isoformat(), "ends_at": at(4, 12).isoformat(),
            "users": [manager_a.pk]}
    refused = api.post("/appointments", body)
    assert refused.status_code == 409
    (conflict,) = refused.json()["conflicts"]
    assert conflict["appointment"] == week["own"].pk and conflict["title"] == "Visit 张伟"
    created = api.post("/appointments", {**body, "save_anyway": True})
    assert created.status_code == 201 and created.json()["conflict_noted"] is True
    assert created.json()["users"] == sorted([sales_a.pk, manager_a.pk])


def test_api_list_read_patch_delete(sales_a, sales_b, week):
    api = ApiClient(sales_a)
    listed = api.get("/appointments", start=at(4, 0).isoformat(), end=at(11, 0).isoformat())
    assert [a["title"] for a in listed.json()] == ["Visit 张伟"]
    pk = week["own"].pk
    read = api.get(f"/appointments/{pk}")
    etag = read["ETag"]
    api.patch(f"/appointments/{pk}", {"title": "Visit, moved"})
    stale = api.client.patch(f"/api/v1/appointments/{pk}", {"title": "x"}, content_type="application/json",
                             HTTP_IF_MATCH=etag, **api.headers)
    assert stale.status_code == 409
    assert ApiClient(sales_b).get(f"/appointments/{pk}").status_code == 404
    assert ApiClient(sales_b).delete(f"/appointments/{pk}").status_code == 404
    assert api.delete(f"/appointments/{pk}").status_code == 204
    assert api.get(f"/appointments/{pk}").status_code == 404


def test_query_counts(sales_a, week):
    client = logged_in(sales_a)
    assert_query_baseline("work.calendar.week", lambda: client.get(reverse("work:calendar_week"), {"date": WEEK}))
    assert_query_baseline("work.calendar.team", lambda: client.get(reverse("work:calendar_team"), {"date": WEEK}))
    api = ApiClient(sales_a)
    assert_query_baseline("work.api.appointments.list", lambda: api.get(
        "/appointments", start=at(4, 0).isoformat(), end=at(11, 0).isoformat()))


def test_drag_and_drop_moves_to_another_day(sales_a, sales_b, week):
    appt = week["own"]  # Monday 10:00–11:00
    make_appointment(sales_a, at(6, 10.5), at(6, 11), title="Dentist")
    client = logged_in(sales_a)
    url = reverse("work:appointment_move", args=[appt.pk])
    page = client.get(reverse("work:calendar_week"), {"date": WEEK}).content.decode()
    assert f'data-move-url="{url}"' in page and 'data-drop-day="2030-03-06"' in page
    refused = client.post(url, {"day": "2030-03-06"})
    assert refused.status_code == 409 and "Dentist" in refused.content.decode()
    assert client.post(url, {"day": "2030-03-07"}).status_code == 204
    appt.refresh_from_db()
    assert (appt.starts_at, appt.ends_at) == (at(7, 10), at(7, 11))
    assert client.post(url, {"day": "2030-03-06", "save_anyway": "1"}).status_code == 204
    appt.refresh_from_db()
    assert appt.starts_at == at(6, 10) and appt.conflict_noted
    assert client.post(url, {"day": "soon"}).status_code == 400
    assert logged_in(sales_b).post(url, {"day": "2030-03-08"}).status_code == 404


def test_recurring_appointments_show_on_each_occurrence_and_in_ical(sales_a):
    series = make_appointment(sales_a, at(4, 9), at(4, 9.5), title="Stand-up", recurrence="weekly",
                              recurrence_until=date(2030, 3, 25))
    client = logged_in(sales_a)
    later = client.get(reverse("work:calendar_week"), {"date": "2030-03-20"}).content.decode()
    assert "Stand-up" in later and "09:00–09:30" in later
    assert "Stand-up" not in client.get(reverse("work:calendar_week"), {"date": "2030-04-01"}).content.decode()
    assert later.count("Stand-up") == 1
    month = client.get(reverse("work:calendar_month"), {"date": "2030-03-01"}).content.decode()
    assert month.count("Stand-up") == 4
    (event,) = _parsed(client.get(reverse("work:appointment_ics", args=[series.pk])).content).walk("VEVENT")
    assert event["RRULE"]["FREQ"] == ["WEEKLY"]
    listed = ApiClient(sales_a).get("/appointments", start=at(18, 0).isoformat(), end=at(19, 0).isoformat())
    assert [a["title"] for a in listed.json()] == ["Stand-up"]


def test_tasks_due_at_a_time_show_in_ones_own_calendar(sales_a, customer_a, week):
    from work.services_tasks import task_create

    task_create(actor=sales_a, customer_id=customer_a.pk, data={
        "title": "Send the offer", "due_on": date(2030, 3, 5), "due_at": at(5, 16)})
    text = logged_in(sales_a).get(reverse("work:calendar_week"), {"date": WEEK}).content.decode()
    assert "Send the offer" in text and "16:00" in text
    day = logged_in(sales_a).get(reverse("work:calendar_day"), {"date": "2030-03-04"}).content.decode()
    assert "Send the offer" not in day
