"""Recording churn: the explicit mark with reason, note and competitor; the "reason unknown" queue of
implicit churners (scope: the owner's own, a manager's team), classified only with a contact."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from audit.models import ObjectChange
from core.timeline import timeline_page
from interactions.services import interaction_create
from retention import selectors_winback as selectors
from retention.models import LossRecord
from retention.services_winback import customer_mark_lost
from retention.tests.winback_data import days_ago, lost_customer, paid_orders, refresh
from segmentation.models import LifecycleMark

pytestmark = pytest.mark.django_db


def test_marking_lost_reuses_the_churn_mark_and_keeps_the_competitor(make_customer, sales_a):
    customer = make_customer(sales_a, name="王芳")
    paid_orders(customer, 100, 40)
    refresh()  # the nightly refresh: the customer is a repeat buyer

    loss = customer_mark_lost(actor=sales_a, customer_id=customer.pk, reason="price", note="报价高出 15%",
                              competitor="  华泰贸易 ")

    mark = LifecycleMark.objects.get(customer=customer)
    assert (mark.kind, mark.churn_reason, mark.note, mark.cleared_on) == ("churned", "price", "报价高出 15%", None)
    assert (loss.mark, loss.competitor, loss.lost_on, loss.interaction) == (mark, "华泰贸易", days_ago(0), None)
    change = ObjectChange.objects.filter(object_type="retention.lossrecord", object_id=str(loss.pk)).get()
    assert change.changes["competitor"] == [None, "华泰贸易"]
    # Lost at once for the win-back (before the nightly refresh), with its reason.
    row = selectors.lost_customers(sales_a).get(customer_id=customer.pk)
    assert (row.reason, row.lost_since) == ("price", days_ago(0))
    with translation.override("en"):
        entries = timeline_page(user=sales_a, customer_id=customer.pk, kinds=["loss"]).entries
    assert [e.title for e in entries] == ["Lost: Price"] and "华泰贸易" in entries[0].detail


def test_bad_input_changes_nothing(make_customer, sales_a, sales_b):
    customer = make_customer(sales_a)
    paid_orders(customer, 30)
    with pytest.raises(ValidationError) as exc:
        customer_mark_lost(actor=sales_a, customer_id=customer.pk, reason="weather")
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError):
        customer_mark_lost(actor=sales_a, customer_id=customer.pk, reason="price", competitor="x" * 201)
    with pytest.raises(PermissionDenied):
        customer_mark_lost(actor=sales_b, customer_id=customer.pk, reason="price")
    assert not LifecycleMark.objects.exists() and not LossRecord.objects.exists()


def test_reason_unknown_queue_scope_and_classification(make_customer, make_user, team_a, sales_a, manager_a,
                                                       sales_b):
    colleague = make_user("sales", team_a)
    mine = lost_customer(make_customer, sales_a, "陈静")
    theirs = lost_customer(make_customer, colleague, "赵磊")
    other_team = lost_customer(make_customer, sales_b, "孙丽")
    active = make_customer(sales_a, name="周强")
    paid_orders(active, 20)
    marked = lost_customer(make_customer, sales_a, "吴敏")
    customer_mark_lost(actor=sales_a, customer_id=marked.pk, reason="service")
    refresh()

    def queue(user, mine=True):
        return sorted(s.customer_id for s in selectors.reason_unknown(user, mine=mine))

    assert queue(sales_a) == [mine.pk]  # not the colleague's, not the active one, not the one with a reason
    assert queue(colleague) == [theirs.pk]
    assert queue(sales_b) == [other_team.pk]
    assert queue(manager_a, mine=False) == sorted([mine.pk, theirs.pk])
    assert queue(sales_b, mine=False) == [other_team.pk]
    assert selectors.reason_unknown_count(sales_a) == 1
    assert selectors.in_reason_unknown(mine.pk, sales_b) is None  # out of scope

    # Classifying needs a contact after the loss.
    with pytest.raises(ValidationError) as exc:
        customer_mark_lost(actor=sales_a, customer_id=mine.pk, reason="product")
    assert "interaction" in exc.value.message_dict
    loss = customer_mark_lost(actor=sales_a, customer_id=mine.pk, reason="product", competitor="远景科技",
                              contact={"channel": "phone", "subject": "回访流失原因", "content": "换了供应商"})
    assert loss.interaction.subject == "回访流失原因" and loss.interaction.customer_id == mine.pk
    assert loss.lost_on == days_ago(400 - 365 - 1)  # the day the lifecycle rule counted them lost
    assert loss.transition is not None and loss.transition.to_stage == "lost"
    assert queue(sales_a) == []
    refresh()
    assert queue(sales_a) == []  # the mark dated today keeps the reason after the nightly refresh
    assert selectors.lost_customers(sales_a).get(customer_id=mine.pk).reason == "product"


def test_classifying_with_an_existing_contact_must_be_after_the_loss(make_customer, sales_a):
    from datetime import timedelta

    from django.utils import timezone

    customer = lost_customer(make_customer, sales_a, "郑伟")
    refresh()
    old = interaction_create(actor=sales_a, customer_id=customer.pk, data={
        "channel": "visit", "subject": "老拜访", "occurred_at": timezone.now() - timedelta(days=390)})
    with pytest.raises(ValidationError):
        customer_mark_lost(actor=sales_a, customer_id=customer.pk, reason="price", interaction_id=old.pk)
    recent = interaction_create(actor=sales_a, customer_id=customer.pk, data={"channel": "phone", "subject": "回访"})
    loss = customer_mark_lost(actor=sales_a, customer_id=customer.pk, reason="price", interaction_id=recent.pk)
    assert loss.interaction == recent
