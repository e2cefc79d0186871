"""The demo's policies: registered, written in bulk for person customers with a family, valid, gaps stored."""

import pytest

from core import registry
from customers.services import family_member_create
from wealth import demo_coverage
from wealth.models.coverage import CoverageGapSummary, InsurancePolicy


@pytest.mark.django_db
def test_demo_policies(make_customer, sales_a):
    assert demo_coverage.generate in registry.get_all("demo_generators")
    people = [make_customer(sales_a) for _ in range(30)]
    for person in people:
        family_member_create(actor=sales_a, customer_id=person.pk, data={"name": "孩子", "relation": "child", "age": 5})
    lonely = make_customer(sales_a)  # no family: no policies
    demo_coverage.generate(first_customer_id=people[0].pk, last_customer_id=lonely.pk, seed=1,
                           progress=lambda *a: None)
    policies = list(InsurancePolicy.objects.all())
    assert len(policies) > 10 and not any(p.customer_id == lonely.pk for p in policies)
    for p in policies:
        p.full_clean()
    assert {p.insured_member_id is None for p in policies} == {True, False}
    # Households without a policy for their child have the gap stored.
    uncovered = {c.pk for c in people} - {p.customer_id for p in policies if p.insured_member_id}
    assert uncovered <= set(CoverageGapSummary.objects.values_list("customer_id", flat=True))
