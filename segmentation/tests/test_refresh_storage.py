"""How the refresh writes: existing rows are updated in place and new customers get a row in the same
refresh; on PostgreSQL the segments table keeps room on its pages for the nightly rewrite."""

from __future__ import annotations

import pytest
from django.db import connection

from segmentation.models import CustomerSegment
from segmentation.refresh import compute
from segmentation.tests.history import AS_OF, History

pytestmark = pytest.mark.django_db


def test_second_refresh_updates_rows_and_adds_new_customers(sales_a):
    history = History(sales_a)
    first = history.customer()
    history.orders(first, -29, margin="100")
    assert compute(as_of=AS_OF).customers == 1
    assert History.segment(first).frequency == 1

    second = history.customer()
    history.orders(first, -10, margin="50")
    result = compute(as_of=AS_OF)

    assert result.customers == 2  # one updated, one inserted
    assert CustomerSegment.objects.count() == 2
    assert History.segment(first).frequency == 2
    assert History.segment(second).lifecycle_stage == "potential"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL storage parameter")
def test_segments_table_leaves_room_for_hot_updates():
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [CustomerSegment._meta.db_table])
        (options,) = cursor.fetchone()
    assert "fillfactor=50" in (options or [])
