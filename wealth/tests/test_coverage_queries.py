"""Exact query counts of the household coverage page, its API read and the card's panel, whatever
the number of people and policies (query_counts.json, SQLite and PostgreSQL)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from core.testing import assert_query_baseline, logged_in
from customers.records.testing import ApiCaller
from customers.services import family_member_create
from wealth import selectors_coverage
from wealth.services_coverage import income_set, policy_create


def _household(customer, owner, members):
    for n in range(members):
        member = family_member_create(actor=owner, customer_id=customer.pk,
                                      data={"name": f"成员{n}", "relation": "child", "age": n + 1})
        for kind in ("medical", "accident"):
            policy_create(actor=owner, customer_id=customer.pk, data={
                "insurer": "平安", "policy_type": kind, "starts_on": date(2024, 1, 1), "insured_member": member.pk,
                "sum_insured": Decimal("100000"), "premium": Decimal("100")})
        income_set(actor=owner, customer_id=customer.pk, family_member_id=member.pk, annual_income=Decimal("1"))


@pytest.mark.django_db
@pytest.mark.parametrize("members", [1, 6])
def test_household_coverage_queries(customer_a, sales_a, members):
    _household(customer_a, sales_a, members)
    client = logged_in(sales_a)
    page = assert_query_baseline("wealth.coverage.household", lambda: client.get(
        reverse("wealth:household_coverage", args=[customer_a.pk])))
    assert page.status_code == 200
    api = ApiCaller(sales_a)
    assert assert_query_baseline("api.wealth.coverage", lambda: api.get(
        f"/customers/{customer_a.pk}/coverage")).status_code == 200
    [panel] = assert_query_baseline("wealth.coverage.card_panel",
                                    lambda: selectors_coverage.card_panels(sales_a, customer_a.pk))
    assert len(panel.context["policies"]) == min(2 * members, selectors_coverage.CARD_POLICIES)
