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
