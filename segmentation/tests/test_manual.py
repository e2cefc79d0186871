"""Manual schemes: setting a customer's class keeps the history, is audited, needs the right to
change the customer; class managers are named by administrators and managers."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from audit.models import ObjectChange
from segmentation.manual import scheme_assign, scheme_class_manager_set
from segmentation.models import SchemeAssignment, SchemeClass

pytestmark = pytest.mark.django_db


def test_assignment_history(sales_a, customer_a):
    first = scheme_assign(actor=sales_a, customer_id=customer_a.pk, scheme_key="relationship_level",
                          class_key="preferred")
    second = scheme_assign(actor=sales_a, customer_id=customer_a.pk, scheme_key="relationship_level",
                           class_key="partner", note="年度框架协议")
    rows = list(SchemeAssignment.objects.filter(customer=customer_a).order_by("assigned_at", "id"))
    assert [(r.scheme_class.key, r.ended_at is None) for r in rows] == [("preferred", False), ("partner", True)]
    assert rows[0].ended_at == second.assigned_at and rows[0].pk == first.pk
    assert second.note == "年度框架协议" and second.assigned_by == sales_a
    # The same class and note again changes nothing.
    again = scheme_assign(actor=sales_a, customer_id=customer_a.pk, scheme_key="relationship_level",
                          class_key="partner", note="年度框架协议")
    assert again.pk == second.pk
    changes = ObjectChange.objects.filter(customer_id=customer_a.pk, object_type="segmentation.schemeassignment")
    assert changes.count() == 2
    assert changes.order_by("at", "id").last().changes["scheme_class"] == ["Preferred supplier", "Partner"]


def test_permissions_and_validation(sales_a, sales_b, analyst, customer_a, make_customer):
    with pytest.raises(PermissionDenied):
        scheme_assign(actor=sales_b, customer_id=customer_a.pk, scheme_key="relationship_level", class_key="partner")
    with pytest.raises(PermissionDenied):
        scheme_assign(actor=analyst, customer_id=customer_a.pk, scheme_key="relationship_level", class_key="partner")
    with pytest.raises(ValidationError):
        scheme_assign(actor=sales_a, customer_id=customer_a.pk, scheme_key="relationship_level", class_key="nope")
    with pytest.raises(ValidationError):
        scheme_assign(actor=sales_a, customer_id=customer_a.pk, scheme_key="abc", class_key="A")
    # The organisation relationship class is for organisations only.
    with pytest.raises(ValidationError):
        scheme_assign(actor=sales_a, customer_id=customer_a.pk, scheme_key="org_relationship_class",
                      class_key="a_strategic")
    org = make_customer(sales_a, kind="organisation")
    done = scheme_assign(actor=sales_a, customer_id=org.pk, scheme_key="org_relationship_class",
                         class_key="a_strategic", note="OR: 战略合作协议; KR: 王总; ER: 每周例会")
    assert done.scheme_class.key == "a_strategic"
    assert not SchemeAssignment.objects.filter(customer=customer_a).exists()


def test_read_only_analyst_is_not_offered_nor_accepted_as_class_manager(admin_user, analyst, sales_a):
    from segmentation.forms import class_manager_updates, manager_choices

    cls = SchemeClass.objects.get(scheme__key="abc", key="A")
    offered = {value for value, _label in manager_choices()}
    assert str(analyst.pk) not in offered and str(sales_a.pk) in offered
    with pytest.raises(ValidationError):
        class_manager_updates({f"manager-{cls.pk}": str(analyst.pk)}, [cls])
    with pytest.raises(ValidationError) as exc, translation.override("en"):
        scheme_class_manager_set(actor=admin_user, class_id=cls.pk, manager=analyst)
    assert "read-only role" in str(exc.value)
    cls.refresh_from_db()
    assert cls.manager is None


def test_class_managers(admin_user, manager_a, sales_a):
    cls = SchemeClass.objects.get(scheme__key="abc", key="A")
    with pytest.raises(PermissionDenied):
        scheme_class_manager_set(actor=sales_a, class_id=cls.pk, manager=sales_a)
    scheme_class_manager_set(actor=manager_a, class_id=cls.pk, manager=sales_a)
    cls.refresh_from_db()
    assert cls.manager == sales_a
    scheme_class_manager_set(actor=admin_user, class_id=cls.pk, manager=None)
    cls.refresh_from_db()
    assert cls.manager is None
    assert ObjectChange.objects.filter(object_type="segmentation.schemeclass", object_id=cls.pk).count() == 2
