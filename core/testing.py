"""Test helpers and pytest fixtures shared by every app (imported by the root conftest)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

_seq = itertools.count(1)

PASSWORD = "kehu-test-pass-1"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):  # noqa: ANN001
    settings.MEDIA_ROOT = tmp_path / "media"
    # Real password hashing costs ~100 ms a user; the tests check logins, not hash strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def fresh_compiled_shapes():  # noqa: ANN201
    """Compiled query shapes (core.compiled) forgotten before and after the test."""
    from core import compiled

    compiled.clear()
    yield
    compiled.clear()


@pytest.fixture
def make_team(db):  # noqa: ANN001, ARG001
    from accounts.models import Team

    def make(name: str | None = None) -> Team:
        return Team.objects.create(name=name or f"Team {next(_seq)}")

    return make


@pytest.fixture
def make_user(db):  # noqa: ANN001, ARG001
    from accounts.models import User

    def make(role: str = "sales", team: Any = None, username: str | None = None, **extra: Any) -> User:
        username = username or f"{role}{next(_seq)}"
        return User.objects.create_user(username=username, password=PASSWORD, role=role, team=team, **extra)

    return make


@pytest.fixture
def team_a(make_team):  # noqa: ANN001
    return make_team("Team A")


@pytest.fixture
def team_b(make_team):  # noqa: ANN001
    return make_team("Team B")


@pytest.fixture
def admin_user(make_user):  # noqa: ANN001
    return make_user("admin", username="admin_user")


@pytest.fixture
def manager_a(make_user, team_a):  # noqa: ANN001
    return make_user("manager", team_a, username="manager_a")


@pytest.fixture
def sales_a(make_user, team_a):  # noqa: ANN001
    return make_user("sales", team_a, username="sales_a")


@pytest.fixture
def sales_b(make_user, team_b):  # noqa: ANN001
    return make_user("sales", team_b, username="sales_b")


@pytest.fixture
def service_a(make_user, team_a):  # noqa: ANN001
    return make_user("service", team_a, username="service_a")


@pytest.fixture
def analyst(make_user):  # noqa: ANN001
    return make_user("analyst", username="analyst")


@pytest.fixture
def make_customer(db):  # noqa: ANN001, ARG001
    """Create a customer through customers.services.customer_create (the real path)."""
    from customers.services import customer_create

    def make(owner: Any, name: str | None = None, **data: Any) -> Any:
        data.setdefault("kind", "person")
        return customer_create(actor=owner, owner=owner, data={"name": name or f"客户{next(_seq)}", **data})

    return make


@pytest.fixture
def customer_a(make_customer, sales_a):  # noqa: ANN001
    return make_customer(sales_a, name="张伟", phone="138-1234-5678", email="zhangwei@example.cn",
                         id_number="110101199003071233", city="北京")


@pytest.fixture
def customer_b(make_customer, sales_b):  # noqa: ANN001
    return make_customer(sales_b, name="李娜", phone="139-8765-4321", email="lina@example.cn", city="上海")


@pytest.fixture
def client_for(client):  # noqa: ANN001
    """Log a user in on the test client: client_for(user) -> client."""

    def login(user: Any) -> Any:
        client.force_login(user)
        return client

    return login


def logged_in(user: Any, language: str = "en") -> Any:
    """A test client of its own, logged in as `user`, asking for pages in `language` (two users at
    once need two clients)."""
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def posted_values(*forms: Any) -> dict[str, Any]:
    """What a browser posts back for these forms and formsets as the page shows them: every field's
    value (dates and times as their widget writes them), formsets with their management form."""
    from datetime import date

    from django.forms import BaseFormSet

    data: dict[str, Any] = {}
    for form in forms:
        if isinstance(form, BaseFormSet):
            data.update(posted_values(form.management_form, *form.forms))
            continue
        for field in form or ():
            value = field.value()
            if value is not None:
                data[field.html_name] = field.field.widget.format_value(value) if isinstance(value, date) else value
    return data
