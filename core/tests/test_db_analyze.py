"""core.db.analyze after a bulk load: PostgreSQL tables are vacuumed too (all-visible pages for
index-only scans) when no transaction is open; inside one, statistics only."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from commerce.models import Order
from core.db import analyze

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL maintenance")


def _stats(table: str) -> tuple[object, object]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT last_vacuum, last_analyze FROM pg_stat_user_tables WHERE relname = %s", [table])
        return cursor.fetchone()


@pytest.mark.django_db(transaction=True)
def test_analyze_outside_a_transaction_vacuums():
    table = Order._meta.db_table
    analyze([table])
    last_vacuum, last_analyze = _stats(table)
    assert last_vacuum is not None and last_analyze is not None


@pytest.mark.django_db
def test_analyze_inside_a_transaction_only_analyzes():
    table = Order._meta.db_table
    with transaction.atomic():
        analyze([table])  # VACUUM would raise "cannot run inside a transaction block"
