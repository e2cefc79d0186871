"""Complaints in a real browser (headless Chromium): file one from the card, work it through every
step, breach its SLA (the deadline set in the past) and see the job escalate it, then find it on the
analysis page — in Chinese and in English; screenshots written and checked."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from core.browser import browser_login
from core.testing import PASSWORD
from service.complaint_workflow import ComplaintState as S
from service.models.complaints import Complaint
from service.services_complaints import sla_sweep
from work.models import Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _step(page, button: str, **selects: str) -> None:
    for name, value in selects.items():
        page.select_option(f"form.advance select[name={name}]", value)
    page.click(f"form.advance button:has-text('{button}')")
    page.wait_for_load_state()


def test_file_work_breach_escalate_and_analyse(page, live_server, sales_a, manager_a, customer_a, tmp_path):
    team = sales_a.team
    team.manager = manager_a
    team.save()
    browser_login(page, live_server.url, sales_a.username, PASSWORD)

    # Filed from the card's timeline, in Chinese (the browser's language).
    page.goto(f"{live_server.url}/customers/{customer_a.pk}/?tab=timeline")
    page.click(f"a[href='/service/complaints/new/{customer_a.pk}/']")
    page.wait_for_url(re.compile(r"/service/complaints/new/"))
    page.select_option("select[name=channel]", "phone")
    page.select_option("select[name=category]", "billing")
    page.select_option("select[name=severity]", "high")
    page.fill("textarea[name=description]", "理财手续费扣错了两次")
    page.fill("textarea[name=wanted]", "退还多扣的费用并道歉")
    page.click("form.complaint-form button.primary")
    page.wait_for_url(re.compile(r"/service/complaints/\d+/$"))
    complaint = Complaint.objects.get()
    assert "已受理" in page.content()

    # The SLA breaches: acknowledgement due an hour ago; the job escalates to the manager, once.
    Complaint.objects.filter(pk=complaint.pk).update(
        acknowledge_by=timezone.now() - timedelta(hours=1), ack_warn_at=timezone.now() - timedelta(hours=2))
    assert sla_sweep()["escalated"] == 1
    assert sla_sweep()["escalated"] == 0
    assert Notification.objects.filter(recipient=manager_a, event="service.complaint_sla_breach").count() == 1
    page.reload()
    assert "已逾期" in page.content()
    page.screenshot(path=str(tmp_path / "complaint-zh.png"), full_page=True)

    # Every step, with what it needs; a refused close names the missing root cause.
    _step(page, "确认受理")
    _step(page, "开始调查")
    _step(page, "标记为已解决", recovery_action="refund")
    _step(page, "已告知客户")
    _step(page, "已回访", reaction="satisfied")
    page.click("form.advance button:has-text('结案')")
    page.wait_for_load_state()
    assert "结案前请填写根本原因" in page.content()
    _step(page, "结案", root_cause="process")
    complaint.refresh_from_db()
    assert complaint.state == S.CLOSED and complaint.root_cause == "process"
    assert page.locator("table.steps tbody tr").count() == 7

    # In English: the page and the analysis.
    page.click("form.langswitch button[value=en]")
    page.wait_for_load_state()
    assert "Reopen" in page.content() and "Closed" in page.content()
    page.goto(f"{live_server.url}/service/complaints/analysis/")
    assert "Billing and fees" in page.content()
    page.locator("#complaints-month-chart canvas").wait_for()
    page.screenshot(path=str(tmp_path / "analysis-en.png"), full_page=True)
    page.click("form.langswitch button[value=zh-hans]")
    page.wait_for_load_state()
    assert "账单与费用" in page.content() and "投诉分析" in page.content()
    page.locator("#complaints-category-chart canvas").wait_for()
    page.screenshot(path=str(tmp_path / "analysis-zh.png"), full_page=True)
    for shot in ("complaint-zh.png", "analysis-en.png", "analysis-zh.png"):
        assert (tmp_path / shot).stat().st_size > 10_000
    csp_errors = [e for e in page.console_errors if "Content Security Policy" in e]
    assert not csp_errors, csp_errors
    assert settings.LANGUAGE_CODE
