"""User-defined rule schemes: first match wins, the catch-all takes the rest, every customer in
exactly one class; set-based refresh; only administrators and managers define them."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.models import Customer
from segmentation.models import SchemeMembership
from segmentation.rules import rule_scheme_refresh, rule_scheme_save, rule_schemes_refresh
from segmentation.tests.segment_data import customers, segment, write_segments

pytestmark = pytest.mark.django_db


def _classes_of(scheme):
    return dict(SchemeMembership.objects.filter(scheme=scheme).values_list("customer_id", "scheme_class__name"))


def _scheme(actor, **kwargs):
    classes = kwargs.pop("classes", [
        {"name": "Big Hangzhou", "rules": [{"field": "city", "op": "eq", "value": "杭州"},
                                           {"field": "abc_tier", "op": "eq", "value": "A"}]},
        {"name": "Hangzhou", "rules": [{"field": "city", "op": "eq", "value": "杭州"}]},
        {"name": "Profitable", "rules": [{"field": "profit", "op": "gt", "value": 0}]},
    ])
    return rule_scheme_save(actor=actor, name="Regions", classes=classes, catch_all_name="Rest", **kwargs)


def test_first_match_wins_and_the_catch_all_takes_the_rest(manager_a, sales_a):
    a, b, c, d = customers(sales_a, 4)
    Customer.objects.filter(pk__in=[a.pk, b.pk]).update(city="杭州")
    write_segments([segment(a, abc_tier="A", profit=100), segment(b, abc_tier="B", profit=50),
                    segment(c, profit=10), segment(d, profit=-5)])
    scheme = _scheme(manager_a)
    assert _classes_of(scheme) == {a.pk: "Big Hangzhou", b.pk: "Hangzhou", c.pk: "Profitable", d.pk: "Rest"}
    names = list(scheme.classes.order_by("position").values_list("name", "is_catch_all"))
    assert names == [("Big Hangzhou", False), ("Hangzhou", False), ("Profitable", False), ("Rest", True)]


def test_refresh_follows_the_data_and_skips_deleted_customers(manager_a, sales_a):
    a, b = customers(sales_a, 2)
    scheme = _scheme(manager_a)
    assert _classes_of(scheme) == {a.pk: "Rest", b.pk: "Rest"}
    Customer.objects.filter(pk=a.pk).update(city="杭州")
    Customer.objects.filter(pk=b.pk).update(deleted_at=timezone.now())
    written = rule_schemes_refresh(refreshed_at=timezone.now())
    assert written == 1
    assert _classes_of(scheme) == {a.pk: "Hangzhou"}


def test_reordering_changes_who_wins_and_keeps_class_ids(manager_a, sales_a):
    (a,) = customers(sales_a, 1, city="杭州")
    write_segments([segment(a, profit=10)])
    scheme = _scheme(manager_a)
    assert _classes_of(scheme) == {a.pk: "Hangzhou"}
    by_name = {c.name: c.pk for c in scheme.classes.all()}
    rule_scheme_save(actor=manager_a, scheme_id=scheme.pk, name="Regions", catch_all_name="Rest", classes=[
        {"id": by_name["Profitable"], "name": "Profitable", "rules": [{"field": "profit", "op": "gt", "value": 0}]},
        {"id": by_name["Hangzhou"], "name": "Hangzhou", "rules": [{"field": "city", "op": "eq", "value": "杭州"}]},
    ])
    assert _classes_of(scheme) == {a.pk: "Profitable"}
    assert {c.name: c.pk for c in scheme.classes.all() if not c.is_catch_all} == {
        "Profitable": by_name["Profitable"], "Hangzhou": by_name["Hangzhou"]}
    assert scheme.classes.filter(is_catch_all=True).get().pk == by_name["Rest"]


def test_bad_definitions_are_refused_whole(manager_a, sales_a):
    with pytest.raises(PermissionDenied):
        _scheme(sales_a)
    with pytest.raises(ValidationError):
        rule_scheme_save(actor=manager_a, name="x", classes=[])
    with pytest.raises(ValidationError):
        rule_scheme_save(actor=manager_a, name="x", classes=[{"name": "no filter", "rules": []}])
    with pytest.raises(ValidationError):
        rule_scheme_save(actor=manager_a, name="x", classes=[
            {"name": "bad", "rules": [{"field": "nope", "op": "eq", "value": 1}]}])
    # A rule scheme cannot use another rule scheme (no cycles, no refresh order).
    other = _scheme(manager_a)
    with pytest.raises(ValidationError):
        rule_scheme_save(actor=manager_a, name="y", classes=[
            {"name": "c", "rules": [{"field": f"scheme:{other.key}", "op": "eq", "value": "x"}]}])
    from segmentation.models import Scheme

    assert Scheme.objects.filter(kind="rules").count() == 1


def test_refresh_is_set_based(manager_a, sales_a, django_assert_max_num_queries):
    customers(sales_a, 30, city="杭州")
    customers(sales_a, 30)
    scheme = _scheme(manager_a)
    # One DELETE and one INSERT … SELECT per class, plus reading the classes and the catalogue:
    # the same whatever the number of customers.
    with django_assert_max_num_queries(12):
        assert rule_scheme_refresh(scheme=scheme) == 60


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["杭州", "上海", ""]), st.sampled_from(["A", "B", "C", None]),
                          st.integers(-5, 5)), min_size=1, max_size=12))
def test_every_customer_lands_in_exactly_one_class(manager_a, sales_a, data):
    SchemeMembership.objects.all().delete()
    Customer.objects.all().delete()
    made = customers(sales_a, len(data))
    rows = []
    for c, (city, tier, profit) in zip(made, data, strict=True):
        Customer.objects.filter(pk=c.pk).update(city=city)
        if tier:
            rows.append(segment(c, abc_tier=tier, profit=profit))
    write_segments(rows)
    scheme = _scheme(manager_a)
    per_customer = SchemeMembership.objects.filter(scheme=scheme).values("customer_id").annotate(n=Count("pk"))
    assert {r["customer_id"] for r in per_customer} == {c.pk for c in made}
    assert all(r["n"] == 1 for r in per_customer)
