"""core.compiled: SQL compiled once per shape, run with new values; shapes whose SQL depends on
the values are refused (and answered by the ORM); permission scopes as templates; one-row inserts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Q
from django.db.models.signals import pre_save
from django.utils import timezone

from accounts.models import ApiToken, Team, User
from audit.models import AccessLog
from core import compiled
from customers.models import Customer


@pytest.fixture(autouse=True)
def _fresh_shapes(fresh_compiled_shapes):  # noqa: ANN001, ANN202
    """Every test starts with no compiled shape."""


@pytest.fixture
def compiles(monkeypatch):
    """How many times a shape was compiled (two probe compilations count as one)."""
    calls = []
    real = compiled._compile

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(compiled, "_compile", counting)
    return calls


def _users(values):
    return User.objects.filter(team_id=values["team"], is_active=True).order_by("username").values(
        "id", "username", "is_active", "date_joined", "team__name"
    )


def test_rows_are_the_orms_rows_with_its_converters(make_user, make_team, compiles):
    a, b = make_team("A"), make_team("B")
    for team in (a, a, b):
        make_user("sales", team)
    for team in (a, b, a):
        rows = compiled.fetch("users_of_team", _users, {"team": team.pk})
        assert rows == list(_users({"team": team.pk}))
        assert all(isinstance(r["is_active"], bool) and timezone.is_aware(r["date_joined"]) for r in rows)
    assert len(compiles) == 1  # compiled once, then run with each team's id


def test_many_reads_give_each_its_rows_in_one_round_trip_on_postgresql(make_user, make_team,
                                                                         django_assert_num_queries):
    a, b = make_team("A"), make_team("B")
    for team in (a, a, b):
        make_user("sales", team)
    queries = [
        compiled.Query("users_of_team", _users, {"team": a.pk}),
        compiled.Query(None, lambda v: list(_users(v)), {"team": b.pk}),  # not compiled: run as it is
        compiled.Query("users_of_team", _users, {"team": b.pk}),
        compiled.Query("users_of_team", _users, {"team": -1}),  # no rows
    ]
    expected = [list(_users({"team": t})) for t in (a.pk, b.pk, b.pk, -1)]
    assert compiled.fetch_many(queries) == expected  # shapes compiled on the first call
    # the uncompiled read, then the three compiled ones: one statement list on PostgreSQL
    with django_assert_num_queries(2 if connection.vendor == "postgresql" else 4):
        rows = compiled.fetch_many(queries)
    assert rows == expected
    assert all(isinstance(r["is_active"], bool) and timezone.is_aware(r["date_joined"]) for r in rows[0])


def test_sql_that_depends_on_the_value_is_not_kept(make_user, make_team, compiles):
    team = make_team("Alpha")
    make_user("sales", team, username="alice")
    make_user("sales", team, username="bob")

    def containing(values):  # the value becomes a LIKE pattern, not the parameter itself
        return User.objects.filter(username__contains=values["part"]).values("username")

    assert compiled.fetch("containing", containing, {"part": "lic"}) == [{"username": "alice"}]
    assert compiled.fetch("containing", containing, {"part": "bo"}) == [{"username": "bob"}]
    key = next(k for k in compiled._shapes if k[2] == "containing")
    assert compiled._shapes[key] is None and len(compiles) == 1  # refused once, remembered


def test_values_that_are_not_slots_fall_back_to_the_orm(make_user):
    user = make_user("sales")
    since = timezone.now() - timedelta(days=1)

    def joined(values):
        return User.objects.filter(date_joined__gte=values["since"]).values("id")

    assert compiled.fetch("joined", joined, {"since": since}) == [{"id": user.pk}]


def test_the_value_types_are_part_of_the_shape(make_user, make_team):
    team = make_team()
    user = make_user("sales", team)
    assert compiled.fetch("users_of_team", _users, {"team": team.pk})[0]["id"] == user.pk
    # A str where an int was compiled goes through its own shape (the ORM's int() applies).
    assert compiled.fetch("users_of_team", _users, {"team": str(team.pk)})[0]["id"] == user.pk


def test_token_lookup_loads_user_and_team(make_user, make_team):
    from accounts.api import token_with_user
    from accounts.services import token_create

    team = make_team("华东")
    user = make_user("manager", team, first_name="敏", last_name="张")
    token, raw = token_create(user=user, name="t")
    found = token_with_user(raw)
    assert found.pk == token.pk and found.user == user and found.user.team == team
    assert found.user.get_full_name() == "张敏" and found.user.role == "manager"
    assert found.user.date_joined == User.objects.get(pk=user.pk).date_joined
    assert token_with_user(raw + "x") is None
    loner = make_user("sales")
    _, raw = token_create(user=loner, name="t")
    assert token_with_user(raw).user.team is None


# --- The key's contract, checked in every test (KEHU_COMPILED_VERIFY) -----------------------------

def _users_of_team_named(values):
    return User.objects.filter(team__name=values["team"]).values("id", "username")


def _users_named(values):
    return User.objects.filter(username=values["team"]).values("id", "username")


def test_a_key_shared_by_two_different_queries_fails_the_call(make_user, make_team, settings):
    """A planted mistake: two reads that differ (a filter on another column) share one key. With
    the check the tests run with, the second call fails; without it (production), it would have
    been answered with the first call's SQL: another query's rows."""
    assert settings.KEHU_COMPILED_VERIFY  # on in every test (core.testing.isolated_test_settings)
    team = make_team("Alpha")
    make_user("sales", team, username="Alpha")
    other = make_user("sales", team, username="other")
    assert compiled.fetch("users", _users_of_team_named, {"team": "Alpha"}) == [
        {"id": u.pk, "username": u.username} for u in User.objects.filter(team=team).order_by("id")]
    with pytest.raises(compiled.ShapeMismatch, match="the key leaves out something"):
        compiled.fetch("users", _users_named, {"team": "other"})
    settings.KEHU_COMPILED_VERIFY = False
    wrong = compiled.fetch("users", _users_named, {"team": "other"})
    assert wrong == [] != [{"id": other.pk, "username": "other"}]  # the first query's SQL, run with "other"


def test_a_query_built_from_values_outside_the_key_fails_the_call(make_user, make_team):
    """The same mistake through a closure: what the query is built from, besides its slots, must be
    in the key (here the sort)."""
    team = make_team()
    make_user("sales", team)

    def page(order):
        return lambda v: User.objects.filter(team_id=v["team"]).order_by(order).values("id")

    compiled.fetch("team_page", page("username"), {"team": team.pk})
    with pytest.raises(compiled.ShapeMismatch):
        compiled.fetch("team_page", page("-username"), {"team": team.pk})
    compiled.fetch(("team_page", "-username"), page("-username"), {"team": team.pk})  # keyed: fine


def test_a_build_that_runs_a_query_fails_the_call(make_user, make_team):
    """Building the query may not read the database: production builds it only on the first call."""
    team = make_team()
    make_user("sales", team)

    def reads(values):
        ids = list(Team.objects.filter(pk=values["team"]).values_list("pk", flat=True))  # a query
        return User.objects.filter(team_id=values["team"], team_id__in=ids or [0]).values("id")

    with pytest.raises(compiled.ShapeMismatch, match="ran SQL"):
        compiled.fetch("reads", reads, {"team": team.pk})


# --- Scopes --------------------------------------------------------------------------------------

def test_scope_template_matches_restrict(make_user, make_team, make_customer):
    a, b = make_team(), make_team()
    users = [make_user("sales", a), make_user("sales", b), make_user("sales"), make_user("admin"),
             make_user("manager", a)]
    for u in users[:3]:
        make_customer(u)
    inactive = make_user("sales", a, is_active=False)

    def visible(scoped, values):
        return scoped.order_by("id").values("id")

    for user in [*users, inactive, None]:
        template = compiled.ScopeTemplate.of(Customer.objects.all(), user, "view")
        expected = list(Customer.objects.restrict(user, "view").order_by("id").values("id"))
        if template.empty:
            assert expected == []
            continue
        rows = compiled.fetch(("visible", template.key), lambda v: visible(compiled.scoped(
            Customer.objects.all(), template, v), v), dict(template.values))
        assert rows == expected


def test_scope_kinds_have_their_own_shapes(make_user, make_team):
    a, b = make_team(), make_team()

    def key(user, action="view"):
        return compiled.ScopeTemplate.of(Customer.objects.all(), user, action).key

    assert key(make_user("sales", a)) == key(make_user("sales", b))  # same shape, other values
    assert key(make_user("sales", a)) != key(make_user("sales"))  # no team: owner only
    assert key(make_user("sales", a)) != key(make_user("admin"))  # everything
    assert compiled.ScopeTemplate.of(Customer.objects.all(), make_user("sales", a), "delete").empty
    values = compiled.ScopeTemplate.of(Customer.objects.all(), user := make_user("sales", a), "view").values
    assert sorted(values.values()) == sorted([user.pk, a.pk])


def test_scope_template_rebuilds_the_condition():
    template = compiled.ScopeTemplate(empty=False, key=None, values={},
                                      _tree=compiled._abstract(Q(a=1) | ~Q(b="x", c=None), "s", values := {}))
    assert values == {"s0": 1, "s1": "x"}
    assert template.q(values) == Q(a=1) | ~Q(b="x", c=None)
    assert template.q({"s0": 2, "s1": "y"}) == Q(a=2) | ~Q(b="y", c=None)


# --- Inserts -------------------------------------------------------------------------------------

def test_insert_writes_the_row_as_save_does(make_user, django_assert_num_queries):
    user = make_user("sales")
    for i in range(2):  # compiling, then compiled
        entry = AccessLog(user_id=user.pk, source="api", action="view", customer_id=7, object_repr=f"张伟{i}",
                          ip="10.0.0.1", detail={"tab": "card"})
        with django_assert_num_queries(1):
            compiled.insert(entry)
        assert entry.pk is not None and not entry._state.adding
        stored = AccessLog.objects.get(pk=entry.pk)
        assert (stored.user_id, stored.source, stored.action, stored.customer_id, stored.object_repr, stored.ip,
                stored.detail, stored.at) == (user.pk, "api", "view", 7, f"张伟{i}", "10.0.0.1", {"tab": "card"},
                                              entry.at)


def test_insert_goes_through_save_when_someone_listens(db):
    seen = []

    def listener(sender, instance, **kwargs):
        seen.append(instance)

    pre_save.connect(listener, sender=Team)
    try:
        team = Team(name="信号")
        compiled.insert(team)
    finally:
        pre_save.disconnect(listener, sender=Team)
    assert seen == [team] and Team.objects.filter(pk=team.pk, name="信号").exists()


def test_unknown_token_hash_is_no_row(db):
    assert compiled.fetch(("token",), lambda v: ApiToken.objects.filter(key_hash=v["h"]).values("id"),
                          {"h": "0" * 64}) == []
