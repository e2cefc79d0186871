"""The filter language: validation (translated, per condition), compilation to Q, and evaluation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from customers.models import Customer
from segmentation import filters
from segmentation.manual import scheme_assign
from segmentation.tests.segment_data import customers, segment, write_segments

pytestmark = pytest.mark.django_db


def _ids(rules):
    return set(Customer.objects.filter(filters.rules_q(rules)).values_list("pk", flat=True))


def test_unknown_field_wrong_op_and_bad_value_are_named_per_condition():
    rules = [
        {"field": "nope", "op": "eq", "value": 1},
        {"field": "city", "op": "gte", "value": "x"},
        {"field": "recency_days", "op": "lte", "value": "abc"},
        {"field": "abc_tier", "op": "eq", "value": "Z"},
        {"field": "profit", "op": "between", "value": [10, 1]},
    ]
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        filters.validate_rules(rules)
    messages = exc.value.messages
    assert len(messages) == 5
    assert messages[0].startswith("Condition 1:") and "unknown field" in messages[0]
    assert messages[1].startswith("Condition 2:") and "cannot be filtered with" in messages[1]
    assert messages[2].startswith("Condition 3:") and "whole number" in messages[2]
    assert messages[3].startswith("Condition 4:") and "not a value of" in messages[3]
    assert messages[4].startswith("Condition 5:")


def test_errors_are_translated():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        filters.validate_rules([{"field": "nope", "op": "eq", "value": 1}])
    assert "条件 1" in exc.value.messages[0]


def test_values_are_normalised_and_labels_accepted():
    with translation.override("en"):
        rules = filters.validate_rules([
            {"field": "abc_tier", "op": "in", "value": ["A", "b · key"]},
            {"field": "profit", "op": "gte", "value": "1,000.5"},
            {"field": "loss_making", "op": "eq", "value": "yes"},
            {"field": "r_score", "op": "between", "value": ["2", 4]},
        ])
    assert rules[0]["value"] == ["A", "B"]
    assert rules[1]["value"] == "1000.5"
    assert rules[2]["value"] is True
    assert rules[3]["value"] == [2, 4]


def test_scores_out_of_range_and_not_a_list():
    with pytest.raises(ValidationError):
        filters.validate_rules([{"field": "r_score", "op": "eq", "value": 6}])
    with pytest.raises(ValidationError):
        filters.validate_rules([{"field": "city", "op": "in", "value": "杭州"}])
    with pytest.raises(ValidationError):
        filters.validate_rules({"field": "city"})
    with pytest.raises(ValidationError):
        filters.validate_rules([{"field": "city", "op": "eq", "value": "x", "sql": "1=1"}])


def test_no_sql_from_user_input(sales_a):
    # Text values are bound parameters: quotes and SQL keywords match literally (here: nothing).
    customers(sales_a, 2, city="杭州")
    assert _ids([{"field": "city", "op": "eq", "value": "杭州' OR '1'='1"}]) == set()


def test_compiled_filters_select_the_right_customers(sales_a, make_customer):
    a, b, c, d = customers(sales_a, 4)
    Customer.objects.filter(pk__in=[a.pk, b.pk]).update(city="杭州", kind="organisation")
    Customer.objects.filter(pk=c.pk).update(city="上海")
    write_segments([
        segment(a, abc_tier="A", profit=5000, recency_days=10, r_score=5, f_score=4, m_score=5,
                last_order_on=timezone.localdate() - timedelta(days=10)),
        segment(b, abc_tier="B", profit=800, recency_days=200, r_score=2, f_score=1, m_score=2),
        segment(c, abc_tier="C", profit=-50, loss_making=True),
    ])
    assert _ids([{"field": "city", "op": "eq", "value": "杭州"}]) == {a.pk, b.pk}
    assert _ids([{"field": "city", "op": "contains", "value": "杭"}]) == {a.pk, b.pk}
    assert _ids([{"field": "kind", "op": "eq", "value": "organisation"},
                 {"field": "abc_tier", "op": "in", "value": ["A", "C"]}]) == {a.pk}
    assert _ids([{"field": "profit", "op": "lt", "value": 0}]) == {c.pk}
    assert _ids([{"field": "profit", "op": "between", "value": [800, 5000]}]) == {a.pk, b.pk}
    assert _ids([{"field": "loss_making", "op": "eq", "value": True}]) == {c.pk}
    assert _ids([{"field": "recency_days", "op": "empty"}]) == {c.pk, d.pk}
    assert _ids([{"field": "last_order_on", "op": "last_days", "value": 30}]) == {a.pk}
    assert _ids([{"field": "abc_tier", "op": "ne", "value": "A"}]) == {b.pk, c.pk, d.pk}
    assert _ids([{"field": "city", "op": "empty"}]) == {d.pk}
    assert _ids([]) == {a.pk, b.pk, c.pk, d.pk}


def test_tags_and_manual_schemes(sales_a, make_customer):
    from customers.services import customers_bulk_add_tag, tag_create

    x = make_customer(sales_a, kind="organisation")
    y = make_customer(sales_a)
    vip = tag_create(actor=sales_a, name="VIP")
    customers_bulk_add_tag(actor=sales_a, customer_ids=[x.pk], tag=vip)
    assert _ids([{"field": "tag", "op": "eq", "value": vip.pk}]) == {x.pk}
    assert _ids([{"field": "tag", "op": "ne", "value": vip.pk}]) == {y.pk}
    scheme_assign(actor=sales_a, customer_id=x.pk, scheme_key="relationship_level", class_key="partner")
    field = "scheme:relationship_level"
    assert _ids([{"field": field, "op": "eq", "value": "partner"}]) == {x.pk}
    # Customers nobody classified are in "not set", and so are those set back to it.
    assert _ids([{"field": field, "op": "eq", "value": "not_set"}]) == {y.pk}
    scheme_assign(actor=sales_a, customer_id=x.pk, scheme_key="relationship_level", class_key="not_set")
    assert _ids([{"field": field, "op": "eq", "value": "not_set"}]) == {x.pk, y.pk}
    assert _ids([{"field": field, "op": "ne", "value": "not_set"}]) == set()
    with pytest.raises(ValidationError):
        filters.validate_rules([{"field": "scheme:nope", "op": "eq", "value": "x"}])


def test_describe_reads_in_words():
    with translation.override("en"):
        words = filters.describe([{"field": "abc_tier", "op": "in", "value": ["A", "B"]},
                                  {"field": "profit", "op": "between", "value": ["0", "10"]}])
    assert words == ["ABC tier is one of A · VIP, B · key", "Profit in the window between 0 and 10"]


def test_form_text_round_trip():
    spec = filters.FIELDS["abc_tier"]
    assert filters.parse_value(spec, "in", "A，B、 C") == ["A", "B", "C"]
    assert filters.value_text(spec, {"field": "abc_tier", "op": "in", "value": ["A", "B"]}) == "A, B"
    assert filters.parse_value(spec, "empty", "whatever") is None
