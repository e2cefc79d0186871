"""Lifecycle marks: validated, scoped to customers the actor may change, audited, one transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import ObjectChange
from segmentation.models import LifecycleMark
from segmentation.refresh import business_today
from segmentation.services import lifecycle_mark, lifecycle_mark_clear
from segmentation.tests.history import History, day

pytestmark = pytest.mark.django_db


@pytest.fixture
def c(sales_a):  # noqa: ANN001
    return History(sales_a).customer()


def test_churned_needs_a_valid_reason(sales_a, c):
    with pytest.raises(ValidationError) as err:
        lifecycle_mark(actor=sales_a, customer_id=c.pk, kind="churned", marked_on=day(-1))
    assert "churn_reason" in err.value.message_dict
    with pytest.raises(ValidationError):
        lifecycle_mark(actor=sales_a, customer_id=c.pk, kind="churned", marked_on=day(-1), churn_reason="weather")
    with pytest.raises(ValidationError):
        lifecycle_mark(actor=sales_a, customer_id=c.pk, kind="target", marked_on=day(-1), churn_reason="price")
    with pytest.raises(ValidationError):
        lifecycle_mark(actor=sales_a, customer_id=c.pk, kind="vip", marked_on=day(-1))
    assert not LifecycleMark.objects.exists()


def test_no_future_dates(sales_a, c):
    with pytest.raises(ValidationError):
        lifecycle_mark(actor=sales_a, customer_id=c.pk, kind="target", marked_on=business_today() + timedelta(days=1))


def test_only_users_who_may_change_the_customer(sales_b, analyst, c):
    for user in (sales_b, analyst):
        with pytest.raises(PermissionDenied):
            lifecycle_mark(actor=user, customer_id=c.pk, kind="target", marked_on=day(-1))
    assert not LifecycleMark.objects.exists()


def test_a_new_mark_ends_the_previous_one_and_is_audited(sales_a, c):
    first = lifecycle_mark(actor=sales_a, customer_id=c.pk, kind="target", marked_on=day(-10))
    second = lifecycle_mark(actor=sales_a, customer_id=c.pk, kind="churned", marked_on=day(-5), churn_reason="price",
                            note="moved to a competitor")
    first.refresh_from_db()
    assert first.cleared_on == day(-5)
    assert second.cleared_on is None and second.marked_by == sales_a
    change = ObjectChange.objects.filter(object_type="segmentation.lifecyclemark", object_id=second.pk).get()
    assert change.customer_id == c.pk and change.user_id == sales_a.pk
    assert change.changes["lifecycle_mark"] == ["target", "churned"]
    # a mark dated before the one in force is refused, and nothing changes
    with pytest.raises(ValidationError):
        lifecycle_mark(actor=sales_a, customer_id=c.pk, kind="target", marked_on=day(-7))
    assert LifecycleMark.objects.filter(cleared_on__isnull=True).get() == second


def test_clear(sales_a, c):
    with pytest.raises(ValidationError):
        lifecycle_mark_clear(actor=sales_a, customer_id=c.pk, cleared_on=day(0))
    mark = lifecycle_mark(actor=sales_a, customer_id=c.pk, kind="non_customer", marked_on=day(-10))
    with pytest.raises(ValidationError):
        lifecycle_mark_clear(actor=sales_a, customer_id=c.pk, cleared_on=day(-11))
    lifecycle_mark_clear(actor=sales_a, customer_id=c.pk, cleared_on=day(-2))
    mark.refresh_from_db()
    assert mark.cleared_on == day(-2)
    assert ObjectChange.objects.filter(object_id=mark.pk, action="update").exists()
