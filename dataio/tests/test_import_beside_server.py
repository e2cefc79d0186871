"""Imports while other connections to the same SQLite file are open — what `make run` is: the web
server, the worker and the scheduler each hold their own connection (issue 12, item 3: every import
through the pages failed at "Check the file" with `database is locked`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection, connections

from accounts.models import Team, User
from core import db
from customers.models import Customer
from dataio import services
from dataio.models import ImportStatus

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[Path]:
    """For the test's body the ORM talks to a WAL-mode file copy of the (in-memory) test database,
    as kehu does outside tests."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's journal mode")
    path = tmp_path / "kehu.sqlite3"
    connection.ensure_connection()
    copy = sqlite3.connect(path)
    connection.connection.backup(copy)
    copy.execute("PRAGMA journal_mode=WAL")
    copy.close()
    original = connections["default"]
    wrapper = original.__class__({**original.settings_dict, "NAME": str(path)}, alias="default")
    connections["default"] = wrapper
    try:
        yield path
    finally:
        wrapper.close()
        connections["default"] = original


def journal_mode(path: Path) -> str:
    with sqlite3.connect(path) as other:
        return other.execute("PRAGMA journal_mode").fetchone()[0]


def test_check_and_apply_while_another_connection_reads(sqlite_file, write_file, customer_rows):
    user = User.objects.create_user(username="sales_file", password="x" * 12, role="sales",
                                    team=Team.objects.create(name="T"))
    path = write_file("c.csv", customer_rows, "gbk")
    reader = sqlite3.connect(sqlite_file, isolation_level=None)  # another process's connection
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM customers_customer").fetchone()  # holds a read transaction
        job = services.import_file(actor=user, kind="customers", path=path)
        job.refresh_from_db()
        assert job.status == ImportStatus.DONE, (job.status, job.error)
        reader.execute("COMMIT")
    finally:
        reader.close()
    assert Customer.objects.count() == len(customer_rows) - 1
    assert journal_mode(sqlite_file) == "wal"


def test_an_idle_connection_keeps_wal(sqlite_file, write_file, customer_rows):
    """With another connection open but idle SQLite would switch: the server's readers would then
    wait for writers again. Only a load that runs alone asks for the switch."""
    user = User.objects.create_user(username="sales_file", password="x" * 12, role="sales")
    idle = sqlite3.connect(sqlite_file)
    try:
        with db.bulk_load_settings():
            assert journal_mode(sqlite_file) == "wal"
        job = services.import_file(actor=user, kind="customers", path=write_file("c.csv", customer_rows))
        job.refresh_from_db()
        assert job.status == ImportStatus.DONE, (job.status, job.error)
    finally:
        idle.close()
    assert journal_mode(sqlite_file) == "wal"


def test_a_load_alone_may_ask_for_a_rollback_journal_and_keeps_wal_when_refused(sqlite_file):
    with db.bulk_load_settings(journal=True):
        assert journal_mode(sqlite_file) == "delete"
    assert journal_mode(sqlite_file) == "wal"
    reader = sqlite3.connect(sqlite_file, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT 1 FROM sqlite_master").fetchone()
        with db.bulk_load_settings(journal=True):  # refused: keeps WAL instead of raising
            assert journal_mode(sqlite_file) == "wal"
    finally:
        reader.close()
    assert journal_mode(sqlite_file) == "wal"
