"""core.db.commit_without_flush: PostgreSQL commits the wrapped write asynchronously only when no
transaction is open (an outer transaction's other writes keep synchronous commit)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from core.db import commit_without_flush

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")


def _setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_write_commits_without_flush():
    with commit_without_flush():
        assert connection.in_atomic_block
        assert _setting() == "off"
    assert not connection.in_atomic_block
    assert _setting() == "on"  # SET LOCAL ended with the commit


@pytest.mark.django_db
def test_inside_a_transaction_nothing_changes():
    with transaction.atomic(), commit_without_flush():
        assert _setting() == "on"
