"""The duplicates page costs the same number of queries whatever the number of pairs, and its
candidate query does work in proportion to the keys, not to (customers in scope × shared keys)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Customer
from governance import selectors, services

pytestmark = pytest.mark.django_db


def _pairs(owner, count: int, start: int = 0) -> None:
    """`count` pairs of customers, each pair sharing a phone (and nothing else)."""
    Customer.objects.bulk_create([
        Customer(name=f"客户{start + i}{side}", owner=owner, team_id=owner.team_id, phone=f"1390000{start + i:04d}")
        for i in range(count) for side in "甲乙"
    ])
    services.match_keys_refresh(full=True)


def _page_queries(client) -> tuple[int, str]:
    url = reverse("governance:duplicate_list")
    client.get(url)  # the keys are brought up to date on the first visit
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url).content.decode()
    return len(queries), html


def test_the_page_runs_the_same_queries_for_one_pair_and_for_sixty(client_for, manager_a, sales_a):
    client = client_for(manager_a)
    _pairs(sales_a, 1)
    one, html = _page_queries(client)
    assert html.count("/not-duplicate/") == 1
    _pairs(sales_a, 59, start=1)
    sixty, html = _page_queries(client)
    assert html.count("/not-duplicate/") == 60
    assert sixty == one <= 12


@pytest.mark.skipif(connection.vendor != "sqlite", reason="counts SQLite's virtual machine steps")
def test_candidate_query_work_grows_linearly_with_the_customers(manager_a, sales_a):
    """SQLite's progress handler counts the steps of its virtual machine: a deterministic measure of
    work. Doubling the customers (and so the shared keys) must about double the work; with the scope
    tested as `customer_id IN (…)` SQLite probed the key index once per (shared key, customer in
    scope), four times the work (74 s at 20,000 customers)."""
    connection.ensure_connection()
    raw = connection.connection

    def steps() -> int:
        count = [0]

        def tick() -> int:
            count[0] += 1
            return 0

        raw.set_progress_handler(tick, 100)
        try:
            selectors.duplicate_candidates(user=manager_a, limit=100)
        finally:
            raw.set_progress_handler(None, 0)
        return count[0]

    _pairs(sales_a, 100)
    small = steps()
    _pairs(sales_a, 100, start=100)
    large = steps()
    assert large < 3 * small, (small, large)
