"""The tasks part's daily-log source: a task ticked off shows in its assignee's day, masked for a
viewer who may not see its customer, and not as a contact with the customer."""

from datetime import timedelta

import pytest
from django.utils.translation import override

from work import selectors_plans as sel
from work import services_tasks as tasks

pytestmark = pytest.mark.django_db


def _done_task(actor, customer, title):
    task = tasks.task_create(actor=actor, customer_id=customer.pk,
                             data={"title": title, "due_on": sel.business_today() + timedelta(days=1)})
    return tasks.task_done(actor=actor, task_id=task.pk)


def test_a_task_done_today_is_in_the_assignees_log_and_masked_for_others(sales_a, manager_a, customer_a,
                                                                          make_customer, sales_b):
    _done_task(sales_a, customer_a, "寄送合同")
    other = make_customer(sales_a, name="转走的客户")
    _done_task(sales_a, other, "机密事项")
    # Handed to team B afterwards: sales_a's manager may no longer see that customer.
    other.owner, other.team = sales_b, sales_b.team
    other.save(update_fields=["owner", "team"])

    with override("en"):
        (log,) = sel.daily_logs(viewer=manager_a, users=[sales_a], day=sel.business_today())
    done = [e for e in log.entries if e.kind == "task"]
    assert len(done) == 2
    shown = next(e for e in done if e.customer_id == customer_a.pk)
    assert "寄送合同" in shown.label and customer_a.name in shown.label and shown.url
    hidden = next(e for e in done if e.customer_id is None)
    assert "机密事项" not in hidden.label and "转走的客户" not in hidden.label and hidden.url == ""
    assert not any(e.contact for e in done)  # ticking a task off is not a contact with the customer


def test_appointments_are_in_the_attendees_log_masked_for_others(sales_a, manager_a, customer_a, customer_b,
                                                                  sales_b):
    from work.tests.calendar_helpers import at, make_appointment

    make_appointment(sales_a, at(5, 10), at(5, 11), customer=customer_a, kind="visit", title="季度回顾")
    make_appointment(sales_b, at(5, 14), at(5, 15), customer=customer_b, kind="visit", title="机密谈判",
                     users=(sales_a,))  # sales_a attends team B's meeting with team B's customer
    make_appointment(sales_a, at(6, 10), at(6, 11), title="next day")
    with override("en"):
        (log,) = sel.daily_logs(viewer=manager_a, users=[sales_a], day=at(5, 0).date())
    visits = [e for e in log.entries if e.kind == "appointment"]
    assert len(visits) == 2 and not any(e.contact for e in visits)
    assert "季度回顾" in visits[0].label and customer_a.name in visits[0].label and visits[0].url
    assert "机密谈判" not in visits[1].label and customer_b.name not in visits[1].label and visits[1].url == ""
