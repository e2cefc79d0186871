"""Schemathesis over the OpenAPI document, with the repository's configuration (schemathesis.toml):
every operation, with an administrator's token and without one, answers only what the document says
(status code, content type, body) and never a 500 — docs/api.md, "What kehu promises under bad input".

The requests go to the WSGI application in this process (no server to start), over a small demo
dataset (customers with contacts, orders, costs, interactions, segments and predictive scores) built
once per module and rolled back after it; each operation's cases run in their own savepoint, so a
DELETE in one operation does not take the data away from the next."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from accounts.models import User
from accounts.services import token_create
from kehu.wsgi import application

pytestmark = pytest.mark.slow

CONFIG = Path(__file__).resolve().parents[2] / "schemathesis.toml"
DOCUMENT = "/api/v1/openapi.json"


def _schema(**changes: dict[str, Any]) -> Any:
    """The document served by the app, with the repository's configuration (`changes` merged into
    its tables)."""
    with CONFIG.open("rb") as file:
        config = tomllib.load(file)
    for table, values in changes.items():
        config[table] = {**config.get(table, {}), **values}
    return schemathesis.openapi.from_wsgi(DOCUMENT, application, config=SchemathesisConfig.from_dict(config))


WITH_TOKEN = _schema()
# Without a token every operation answers 401 before it reads anything: a few random cases each
# suffice, without the coverage phase's hundreds of boundary values for bodies never read.
ANONYMOUS = _schema(generation={"max-examples": 3}, phases={"coverage": {"enabled": False}})


@pytest.fixture(scope="module", autouse=True)
def _requests_keep_the_test_transaction() -> Iterator[None]:
    """The WSGI handler closes the database connection after a request made outside autocommit
    (on PostgreSQL), and with it the test's transaction; Django's test client disconnects these
    signals the same way."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture(scope="module")
def admin_token(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    """An administrator's token over the demo dataset (40 customers: enough buyers for the
    predictive scores' model), in a transaction rolled back after the module."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            for command in (("demo", "--customers", "40", "--seed", "7"), ("segments", "refresh"), ("clv", "refresh")):
                call_command(*command, stdout=StringIO())
            _, secret = token_create(user=User.objects.get(is_demo=True, role="admin"), name="schemathesis")
            yield secret
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# Hypothesis would refuse the function-scoped `db` (one savepoint for all of an operation's cases, on
# purpose) and warn about slow data generation for the large bodies.
RELAXED = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                          HealthCheck.data_too_large, HealthCheck.filter_too_much])


@WITH_TOKEN.parametrize()
@RELAXED
def test_with_a_token_every_answer_is_documented(case: Any, admin_token: str, db: Any) -> None:
    # No Accept-Language: the messages are the default language's (zh-hans), the one most users read.
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_token}"})


@ANONYMOUS.parametrize()
@RELAXED
def test_without_a_token_every_answer_is_documented(case: Any, db: Any) -> None:
    response = case.call_and_validate()
    # Nothing but "who are you?" — or the 404 of an address that names no operation (an id that is
    # not a number), which says nothing about any record.
    assert response.status_code in (401, 404), (response.status_code, response.text[:200])
