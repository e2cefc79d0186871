"""core.compiled.insert(wait_for_flush=False): on PostgreSQL the row's own one-statement transaction
commits asynchronously (one round trip); inside an outer transaction nothing changes, so that
transaction's other writes keep synchronous commit."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.models import AccessLog
from core import compiled


def _setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_row_commits_in_one_statement():
    entry = AccessLog(action="view", source="web", object_repr="x", detail={})
    with CaptureQueriesContext(connection) as queries:
        compiled.insert(entry, wait_for_flush=False)
    assert entry.pk and AccessLog.objects.filter(pk=entry.pk).exists()
    assert len(queries) == 1
    if connection.vendor == "postgresql":
        assert "set_config('synchronous_commit', 'off', true)" in queries[0]["sql"]
        assert not connection.in_atomic_block
        assert _setting() == "on"  # the setting ended with the statement's own transaction
    else:
        assert "set_config" not in queries[0]["sql"]


@pytest.mark.django_db
def test_inside_a_transaction_nothing_changes():
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        compiled.insert(AccessLog(action="view", source="web", object_repr="x", detail={}), wait_for_flush=False)
        if connection.vendor == "postgresql":
            assert _setting() == "on"
    assert "set_config" not in queries[0]["sql"]


@pytest.mark.django_db
def test_by_default_the_commit_waits_for_the_disk():
    with CaptureQueriesContext(connection) as queries:
        compiled.insert(AccessLog(action="view", source="web", object_repr="x", detail={}))
    assert "set_config" not in queries[0]["sql"]
