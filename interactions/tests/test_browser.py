"""In a real browser (headless Chromium): record an interaction with a follow-up from the card's
timeline in one step (htmx panel, no page load), see it at the top of the timeline, load older
entries, and tick the follow-up off on the home page."""

import datetime as dt

import pytest
from django.utils import timezone

from core.browser import browser_login
from core.testing import PASSWORD
from interactions import services
from interactions.models import Interaction
from work.models import Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_quick_entry_on_the_timeline_and_follow_up_on_home(page, live_server, sales_a, customer_a):
    start = timezone.now() - dt.timedelta(days=100)
    for i in range(55):
        services.interaction_create(actor=sales_a, customer_id=customer_a.pk, data={
            "channel": "sms", "subject": f"短信提醒{i}", "occurred_at": start + dt.timedelta(days=i)})
    browser_login(page, live_server.url, sales_a.username, PASSWORD)

    page.goto(f"{live_server.url}/customers/{customer_a.pk}/?tab=timeline")
    assert page.locator("li.tl-entry").count() == 50
    page.click("#quick-interaction summary")  # the panel was loaded by htmx
    page.select_option("#quick-interaction select[name=channel]", "wechat")
    page.select_option("#quick-interaction select[name=direction]", "inbound")
    page.fill("#quick-interaction input[name=subject]", "咨询养老理财")
    page.fill("#quick-interaction input[name=outcome]", "已发送说明书")
    page.fill("#quick-interaction input[name=follow_up_title]", "三天后回访")
    due = timezone.localdate() + dt.timedelta(days=3)
    page.fill("#quick-interaction input[name=follow_up_due]", due.isoformat())
    url = page.url
    page.click("#quick-interaction button[type=submit]")
    page.locator("#quick-interaction .msg-success").wait_for()
    assert page.url == url  # one step, no page load
    page.locator("li.tl-entry").first.filter(has_text="咨询养老理财").wait_for()
    assert Interaction.objects.filter(subject="咨询养老理财", channel="wechat", direction="inbound").exists()
    task = Task.objects.get(title="三天后回访")
    assert task.assignee == sales_a and task.due_on == due

    page.click("li.tl-older a")
    page.locator("li.tl-entry").nth(55).wait_for()  # (no wait_for_function: the CSP forbids eval)
    assert page.locator("li.tl-entry").count() == 56
    assert page.locator("li.tl-older").count() == 0

    page.goto(f"{live_server.url}/")
    row = page.locator(".followups tbody tr", has_text="三天后回访")
    row.locator("button").click()
    row.wait_for(state="detached")
    task.refresh_from_db()
    assert task.done_at is not None
    csp_errors = [e for e in page.console_errors if "Content Security Policy" in e]
    assert not csp_errors, csp_errors
