"""Renewal reminders: the morning job tells the owner of an agreement about to end (notification and
e-mail through the local SMTP server) and gives them a task, once per end date."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from core import registry
from core.periodic import jobs
from service import services_sla as services
from service.models import ServiceAgreement
from service.tasks_sla import remind_renewals_task
from work import outbox
from work.models import Notification, Task
from work.tests.smtp_server import LocalSMTPServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[LocalSMTPServer]:
    """As work/tests/conftest.py's: a real SMTP server on 127.0.0.1 that Django's mail settings point at."""
    with LocalSMTPServer() as server:
        for name, value in server.django_settings().items():
            setattr(settings, name, value)
        settings.DEFAULT_FROM_EMAIL = "kehu@crm.example.com"
        yield server


@pytest.fixture
def owner(make_user, team_a):
    return make_user("sales", team_a, email="li.na@example.com", language="zh-hans", first_name="娜", last_name="李")


@pytest.fixture
def customer(make_customer, owner):
    return make_customer(owner, name="杭州精工机械有限公司", kind="organisation")


def _agreement(owner, customer, days_left: int, **data):
    today = timezone.localdate()
    return services.agreement_create(actor=owner, customer_id=customer.pk, data={
        "number": data.pop("number", "SA-2026-001"), "level": "premium",
        "starts_on": today - timedelta(days=300), "ends_on": today + timedelta(days=days_left), **data})


def test_the_owner_is_reminded_once_with_a_task_and_an_email(smtp_server, owner, customer):
    agreement = _agreement(owner, customer, days_left=20)

    assert services.remind_renewals() == 1
    assert services.remind_renewals() == 0  # idempotent: a second run reminds nobody
    assert remind_renewals_task.call() == {"reminded": 0}

    [note] = Notification.objects.filter(recipient=owner, event=services.RENEWAL_EVENT)
    assert "杭州精工机械有限公司" in note.title
    [task] = Task.objects.filter(customer=customer, assignee=owner)
    assert task.title.startswith("续签服务协议 SA-2026-001 (")  # in the owner's language
    assert task.due_on == agreement.ends_on - timedelta(days=7)
    report = outbox.send_due()
    assert report.sent == 1
    [mail] = smtp_server.messages
    assert mail["To"] == "li.na@example.com"
    text = mail.get_body(("plain",)).get_content()
    assert "SA-2026-001" in text and "20" in text
    agreement.refresh_from_db()
    assert agreement.renewal_reminded_for == agreement.ends_on


def test_not_before_the_notice_period_nor_after_expiry(owner, customer):
    _agreement(owner, customer, days_left=30, number="FAR")  # the notice period is 30 days: the 30th day is out
    _agreement(owner, customer, days_left=-1, number="GONE")
    assert services.remind_renewals() == 0
    assert services.remind_renewals(today=timezone.localdate() + timedelta(days=1)) == 1  # now FAR is in


def test_the_notice_period_is_configurable(admin_user, owner, customer):
    _agreement(owner, customer, days_left=50)
    assert services.remind_renewals() == 0
    services.calendar_update(actor=admin_user, data={"renewal_notice_days": 60})
    assert services.remind_renewals() == 1


def test_a_renewed_agreement_is_not_reminded(owner, customer):
    old = _agreement(owner, customer, days_left=10, number="OLD")
    services.agreement_create(actor=owner, customer_id=customer.pk, data={
        "number": "NEW", "level": "premium", "starts_on": old.ends_on + timedelta(days=1),
        "ends_on": old.ends_on + timedelta(days=366)})
    assert services.remind_renewals() == 0


def test_a_new_end_date_brings_a_new_reminder(owner, customer):
    agreement = _agreement(owner, customer, days_left=10)
    assert services.remind_renewals() == 1
    services.agreement_update(actor=owner, agreement_id=agreement.pk,
                              data={"ends_on": agreement.ends_on + timedelta(days=5)})
    assert services.remind_renewals() == 1
    assert Task.objects.filter(customer=customer).count() == 2


def test_a_deleted_agreement_is_not_reminded(owner, customer):
    agreement = _agreement(owner, customer, days_left=10)
    services.agreement_delete(actor=owner, agreement_id=agreement.pk)
    assert services.remind_renewals() == 0
    assert not ServiceAgreement.objects.filter(renewal_reminded_for__isnull=False).exists()


def test_the_job_is_registered():
    assert "agreement_renewals" in {j.name for j in jobs()}
    assert any(j.task == "service.tasks_sla.remind_renewals_task" for j in registry.get_all("periodic_jobs"))
