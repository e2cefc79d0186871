"""A rule scheme built from a private saved segment does not show that segment's conditions to users
who may not read the segment — on the scheme page, on the scheme form and in the API — while its
classes, names and sizes stay visible to everyone (issue 12, item 17)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from segmentation.models import Scheme, SchemeClass
from segmentation.rules import rule_scheme_save
from segmentation.saved import saved_segment_create
from segmentation.selectors import class_rules_visible
from segmentation.tests.segment_data import customers

pytestmark = pytest.mark.django_db

SECRET = "温州"  # the private segment's condition: city = 温州
RULES = [{"field": "city", "op": "eq", "value": SECRET}]


@pytest.fixture
def manager_b(make_user, team_b):
    return make_user("manager", team=team_b)


def _scheme_from_segment(client, segment) -> Scheme:
    """The manager builds the scheme through the page, as users do."""
    response = client.post(reverse("segmentation:rule_scheme_add"), {
        "name": "Regions", "catch_all_name": "Others",
        "class-0-id": "", "class-0-order": "1", "class-0-name": "Wenzhou key accounts",
        "class-0-segment": str(segment.pk),
        "class-1-id": "", "class-1-order": "2", "class-1-name": "", "class-1-segment": "",
    })
    assert response.status_code == 302, response.context["form"].errors
    return Scheme.objects.get(kind="rules")


def _page(client, scheme) -> str:
    response = client.get(reverse("segmentation:scheme_detail", args=[scheme.key]))
    assert response.status_code == 200
    return response.content.decode()


def _api_class(client, scheme, path: str = "") -> dict:
    url = f"/api/v1/segmentation/schemes/{scheme.key}" if path else "/api/v1/segmentation/schemes"
    body = client.get(url).json()
    classes = body["classes"] if path else next(s for s in body if s["key"] == scheme.key)["classes"]
    return next(c for c in classes if c["name"] == "Wenzhou key accounts")


@pytest.mark.parametrize("api_path", ["", "detail"])
def test_another_team_sees_the_classes_but_not_a_private_segments_conditions(
        manager_a, sales_b, admin_user, client_for, api_path):
    customers(manager_a, 2, city=SECRET)
    segment = saved_segment_create(actor=manager_a, name="Wenzhou", rules=RULES)
    scheme = _scheme_from_segment(client_for(manager_a), segment)

    # The creator and administrators read the filter.
    for user in (manager_a, admin_user):
        client = client_for(user)
        assert SECRET in _page(client, scheme)
        cls = _api_class(client, scheme, api_path)
        assert cls["rules"] == RULES and cls["rules_hidden"] is False

    # Another team's user sees the class, but neither the page nor the API carries the condition.
    client = client_for(sales_b)
    html = _page(client, scheme)
    assert "Wenzhou key accounts" in html and "Others" in html
    assert SECRET not in html
    assert "private-filter" in html and str(manager_a) in html
    cls = _api_class(client, scheme, api_path)
    assert cls["rules"] == [] and cls["rules_hidden"] is True
    assert SECRET not in client.get("/api/v1/segmentation/schemes").content.decode()


def test_sharing_decides_who_reads_the_filter(manager_a, sales_a, sales_b, team_a):
    private = saved_segment_create(actor=manager_a, name="Private", rules=RULES)
    team = saved_segment_create(actor=manager_a, name="Team", rules=RULES, team=team_a)
    everyone = saved_segment_create(actor=manager_a, name="All", rules=RULES, shared_with_all=True)
    scheme = rule_scheme_save(actor=manager_a, name="S", catch_all_name="Rest", classes=[
        {"name": "P", "rules": RULES, "segment": private}, {"name": "T", "rules": RULES, "segment": team},
        {"name": "E", "rules": RULES, "segment": everyone}])

    classes = {c.name: c for c in scheme.classes.all()}
    seen = {u.username: {n for n, c in classes.items() if class_rules_visible(u, c)}
            for u in (manager_a, sales_a, sales_b)}
    assert seen[manager_a.username] == {"P", "T", "E", "Rest"}
    assert seen[sales_a.username] == {"T", "E", "Rest"}  # same team: the team's segment
    assert seen[sales_b.username] == {"E", "Rest"}


def test_another_manager_editing_the_scheme_neither_sees_nor_loses_the_filter(
        manager_a, manager_b, client_for):
    customers(manager_a, 1, city=SECRET)
    segment = saved_segment_create(actor=manager_a, name="Wenzhou", rules=RULES)
    scheme = _scheme_from_segment(client_for(manager_a), segment)
    cls = scheme.classes.get(is_catch_all=False)

    client = client_for(manager_b)
    form = client.get(reverse("segmentation:rule_scheme_edit", args=[scheme.key]))
    assert form.status_code == 200
    html = form.content.decode()
    assert "Wenzhou key accounts" in html and SECRET not in html and "private-filter" in html
    # Renaming the class keeps its filter, and the filter stays private.
    response = client.post(reverse("segmentation:rule_scheme_edit", args=[scheme.key]), {
        "name": "Regions", "catch_all_name": "Others",
        "class-0-id": str(cls.pk), "class-0-order": "1", "class-0-name": "Wenzhou", "class-0-segment": "",
    })
    assert response.status_code == 302
    cls.refresh_from_db()
    assert cls.name == "Wenzhou" and cls.rules == RULES
    assert cls.rules_private and cls.rules_owner == manager_a
    assert SECRET not in _page(client, scheme)


def test_migration_gives_existing_classes_their_segments_privacy(manager_a):
    secret = saved_segment_create(actor=manager_a, name="Private", rules=RULES)
    open_rules = [{"field": "city", "op": "eq", "value": "杭州"}]
    saved_segment_create(actor=manager_a, name="Open", rules=open_rules, shared_with_all=True)
    scheme = rule_scheme_save(actor=manager_a, name="Old", catch_all_name="Rest", classes=[
        {"name": "From private", "rules": RULES}, {"name": "From open", "rules": open_rules}])
    assert not SchemeClass.objects.filter(scheme=scheme, rules_private=True).exists()  # as before the migration

    migration = importlib.import_module("segmentation.migrations.0006_schemeclass_rules_privacy")
    migration.classes_take_segment_privacy(apps, None)
    private = {c.name: (c.rules_private, c.rules_owner_id) for c in scheme.classes.all()}
    assert private == {"From private": (True, secret.owner_id), "From open": (False, None), "Rest": (False, None)}
