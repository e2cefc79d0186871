"""The calendar in a real browser (headless Debian Chromium): create an appointment that conflicts,
see the warning, save anyway, find it in the week view in Chinese and in English, and subscribe —
the feed address downloads a calendar the icalendar library parses, with the appointment in it."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from core.browser import browser_login
from core.testing import PASSWORD
from work.models.calendar import Appointment
from work.tests.calendar_helpers import make_appointment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_conflict_warning_save_anyway_week_view_and_feed(page, live_server, sales_a, manager_a):
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    zone = timezone.get_default_timezone()
    busy_from = datetime.combine(monday, time(10)).replace(tzinfo=zone)
    make_appointment(manager_a, busy_from, busy_from + timedelta(hours=1), title="季度会议")

    browser_login(page, live_server.url, sales_a.username, PASSWORD)
    page.goto(f"{live_server.url}/work/appointments/new/?date={monday.isoformat()}")
    page.fill("input[name=title]", "拜访欧阳雨桐")
    page.fill("input[name=starts_at]", f"{monday.isoformat()}T10:30")
    page.fill("input[name=ends_at]", f"{monday.isoformat()}T11:30")
    page.check(f"input[name=users][value='{manager_a.pk}']")
    page.click("form.cardform button[type=submit].primary")

    warning = page.locator(".cal-conflicts")
    warning.wait_for()
    assert "manager_a" in warning.inner_text() and "季度会议" in warning.inner_text()
    assert not Appointment.objects.filter(title="拜访欧阳雨桐").exists()
    page.click("button[name=save_anyway]")
    page.wait_for_url(re.compile(r"/work/calendar/\?date="))
    assert Appointment.objects.get(title="拜访欧阳雨桐").conflict_noted

    # The week view, in Chinese (the browser's language), then in English.
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    entry = page.locator("#calendar .cal-entry", has_text="拜访欧阳雨桐")
    assert "10:30–11:30" in entry.inner_text()
    assert "新建日程" in page.content()
    page.click("form.langswitch button[value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#calendar .cal-entry", has_text="拜访欧阳雨桐").count() == 1
    assert "New appointment" in page.content()
    # htmx navigation: next week and back, the calendar swapped in place.
    page.click("#calendar .cal-steps a:has-text('Next')")
    page.wait_for_url(re.compile(r"date="))
    page.click("#calendar .cal-steps a:has-text('Previous')")
    page.locator("#calendar .cal-entry", has_text="拜访欧阳雨桐").wait_for()

    # Subscribe: the address downloads a valid calendar with the appointment.
    page.goto(f"{live_server.url}/work/calendar/subscribe/")
    page.click("form button[type=submit].primary")
    url = page.locator("#feed-url").input_value()
    answer = page.request.get(url)
    assert answer.status == 200
    cal = Calendar.from_ical(answer.body())
    summaries = {str(e["SUMMARY"]) for e in cal.walk("VEVENT")}
    assert "拜访欧阳雨桐" in summaries
    csp_errors = [e for e in page.console_errors if "Content Security Policy" in e]
    assert not csp_errors, csp_errors
