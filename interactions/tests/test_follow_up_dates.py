"""A new follow-up cannot be due in the past (work.services_tasks.task_create): on the
quick-entry form, in the API and through the service; an existing overdue task stays editable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from customers.tests.test_api import ApiClient
from interactions import services
from interactions.models import Interaction
from work.models import Task

pytestmark = pytest.mark.django_db


def _yesterday():
    return timezone.localdate() - timedelta(days=1)


def test_service_refuses_a_new_task_due_yesterday_and_keeps_old_ones_editable(customer_a, sales_a):
    with pytest.raises(ValidationError) as exc:
        services.follow_up_create(actor=sales_a, customer_id=customer_a.pk,
                                  data={"title": "回电", "due_on": _yesterday()})
    with translation.override("en"):
        assert "cannot be due in the past" in exc.value.message_dict["due_on"][0]
    task = services.follow_up_create(actor=sales_a, customer_id=customer_a.pk,
                                     data={"title": "回电", "due_on": timezone.localdate()})
    Task.objects.filter(pk=task.pk).update(due_on=_yesterday())  # time passed: now overdue
    services.follow_up_update(actor=sales_a, task_id=task.pk, data={"title": "回电（客户出差）"})


def test_the_quick_entry_form_refuses_it_and_saves_nothing(client_for, customer_a, sales_a):
    response = client_for(sales_a).post(reverse("interactions:interaction_add", args=[customer_a.pk]), {
        "channel": "phone", "direction": "inbound", "occurred_at": "2026-03-01T09:15", "subject": "来电询价",
        "staff": sales_a.pk, "follow_up_title": "回电确认", "follow_up_due": _yesterday().isoformat(),
    }, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code in (200, 400)
    assert "新任务的截止日期不能早于今天" in response.content.decode()
    assert not Interaction.objects.exists() and not Task.objects.exists()


def test_the_api_refuses_it(customer_a, sales_a):
    response = ApiClient(sales_a).post("/interactions", {
        "customer": customer_a.pk, "channel": "email", "subject": "发送季度报告",
        "follow_up": {"title": "电话回访", "due_on": _yesterday().isoformat()},
    })
    assert response.status_code == 400 and "cannot be due in the past" in response.content.decode()
    assert not Interaction.objects.exists()
