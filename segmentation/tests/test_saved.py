"""Saved segments: members always through the viewer's scope (page, API, export), sharing rules,
who may change them."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AccessLog
from core.testing import assert_query_baseline
from segmentation.models import SavedSegment
from segmentation.saved import saved_segment_create, saved_segment_delete, saved_segment_update
from segmentation.selectors import saved_segment_customers, saved_segments_visible
from segmentation.tests.segment_data import customers, segment, write_segments

pytestmark = pytest.mark.django_db

EVERYONE_A = [{"field": "abc_tier", "op": "eq", "value": "A"}]


@pytest.fixture
def two_teams(sales_a, sales_b):
    a = customers(sales_a, 3, name="甲队客户")
    b = customers(sales_b, 2, name="乙队客户")
    write_segments([segment(c, abc_tier="A", profit=100) for c in a + b])
    return a, b


def test_a_segment_shared_with_everyone_shows_each_viewer_only_their_scope(admin_user, sales_a, sales_b, two_teams):
    a, b = two_teams
    seg = saved_segment_create(actor=admin_user, name="VIP", rules=EVERYONE_A, shared_with_all=True)
    assert set(saved_segment_customers(user=sales_b, segment=seg).values_list("pk", flat=True)) == {c.pk for c in b}
    assert set(saved_segment_customers(user=sales_a, segment=seg).values_list("pk", flat=True)) == {c.pk for c in a}
    assert saved_segment_customers(user=admin_user, segment=seg).count() == 5


def test_page_api_and_export_never_show_another_teams_customers(admin_user, sales_b, two_teams, client_for):
    a, b = two_teams
    seg = saved_segment_create(actor=admin_user, name="VIP", rules=EVERYONE_A, shared_with_all=True)
    client = client_for(sales_b)
    page = client.get(reverse("segmentation:segment_detail", args=[seg.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "乙队客户" in body and "甲队客户" not in body
    assert page.context["count"] == 2
    api = client.get(f"/api/v1/segments/{seg.pk}/customers")
    assert api.status_code == 200
    assert {row["id"] for row in api.json()["items"]} == {c.pk for c in b}
    export = client.get(reverse("segmentation:segment_export", args=[seg.pk]) + "?format=csv")
    assert export.status_code == 200
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 1 + 2 and all("乙队客户" in r[1] for r in rows[1:])
    log = AccessLog.objects.filter(user=sales_b, action="export").get()
    assert log.detail["rows"] == 2 and log.detail["segment"] == seg.pk
    from openpyxl import load_workbook

    xlsx = client.get(reverse("segmentation:segment_export", args=[seg.pk]) + "?format=xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    assert sorted(row[1] for row in sheet.iter_rows(min_row=2, values_only=True)) == ["乙队客户", "乙队客户"]
    assert client.get(reverse("segmentation:segment_export", args=[seg.pk]) + "?format=pdf").status_code == 400


def test_private_and_team_segments_are_invisible_to_others(sales_a, sales_b, manager_a, make_user, team_a, team_b):
    private = saved_segment_create(actor=sales_a, name="mine", rules=[])
    team = saved_segment_create(actor=manager_a, name="team A", rules=[], team=team_a)
    assert set(saved_segments_visible(sales_a)) == {private, team}
    assert set(saved_segments_visible(sales_b)) == set()
    with pytest.raises(ValidationError):
        saved_segment_create(actor=sales_a, name="x", rules=[], team=team_b)


def test_only_the_creator_or_an_administrator_changes_a_segment(admin_user, sales_a, service_a, team_a,
                                                                 client_for):
    seg = saved_segment_create(actor=sales_a, name="mine", rules=[], team=team_a)
    with pytest.raises(PermissionDenied):
        saved_segment_update(actor=service_a, segment_id=seg.pk, name="x", rules=[])
    with pytest.raises(PermissionDenied):
        saved_segment_delete(actor=service_a, segment_id=seg.pk)
    response = client_for(service_a).post(reverse("segmentation:segment_edit", args=[seg.pk]), {"name": "x"})
    assert response.status_code == 403
    saved_segment_update(actor=admin_user, segment_id=seg.pk, name="renamed", rules=EVERYONE_A)
    seg.refresh_from_db()
    assert seg.name == "renamed" and seg.rules == EVERYONE_A
    saved_segment_delete(actor=sales_a, segment_id=seg.pk)
    assert not SavedSegment.objects.exists()


def test_bad_rules_are_refused_with_the_condition_named(sales_a):
    with pytest.raises(ValidationError) as exc:
        saved_segment_create(actor=sales_a, name="x", rules=[{"field": "abc_tier", "op": "gte", "value": "A"}])
    assert "rules" in exc.value.message_dict
    assert not SavedSegment.objects.exists()


def test_segment_form_preview_and_save(sales_a, two_teams, client_for):
    client = client_for(sales_a)
    url = reverse("segmentation:segment_add")
    data = {"cond-0-field": "abc_tier", "cond-0-op": "in", "cond-0-value": "A, B", "cond-1-field": "",
            "cond-1-op": "eq", "cond-1-value": ""}
    preview = client.post(url, {**data, "preview": "1"})
    assert preview.status_code == 200 and preview.context["preview"] == 3
    bad = client.post(url, {**data, "cond-0-value": "Z", "name": "x"})
    assert bad.status_code == 200 and bad.context["form"].errors
    saved = client.post(url, {**data, "name": "A or B"})
    assert saved.status_code == 302
    seg = SavedSegment.objects.get()
    assert seg.rules == [{"field": "abc_tier", "op": "in", "value": ["A", "B"]}] and seg.owner == sales_a


def test_member_pages_use_keyset_cursors_and_a_fixed_number_of_queries(sales_a, client_for):
    made = customers(sales_a, 60)
    write_segments([segment(c, abc_tier="A") for c in made])
    seg = saved_segment_create(actor=sales_a, name="all A", rules=EVERYONE_A)
    client = client_for(sales_a)
    url = reverse("segmentation:segment_detail", args=[seg.pk])
    first = assert_query_baseline("segmentation.segments.detail", lambda: client.get(url))
    assert len(first.context["page"].items) == 50 and first.context["count"] == 60
    second = client.get(url + "?cursor=" + first.context["page"].next_cursor)
    seen = {c.pk for c in first.context["page"].items} | {c.pk for c in second.context["page"].items}
    assert seen == {c.pk for c in made}


def test_a_filter_naming_a_deleted_scheme_matches_nobody(manager_a, two_teams):
    from segmentation.rules import rule_scheme_delete, rule_scheme_save

    scheme = rule_scheme_save(actor=manager_a, name="Tiers", catch_all_name="Rest",
                              classes=[{"name": "Top", "rules": EVERYONE_A}])
    seg = saved_segment_create(actor=manager_a, name="rest",
                               rules=[{"field": f"scheme:{scheme.key}", "op": "eq", "value": "Top"}])
    assert saved_segment_customers(user=manager_a, segment=seg).count() == 3
    rule_scheme_delete(actor=manager_a, scheme_id=scheme.pk)
    assert saved_segment_customers(user=manager_a, segment=seg).count() == 0


def test_segment_lists_in_a_fixed_number_of_queries(admin_user, sales_a, team_a, client_for):
    for i in range(6):
        saved_segment_create(actor=sales_a, name=f"s{i}", rules=EVERYONE_A, team=team_a if i % 2 else None)
    client = client_for(sales_a)
    page = assert_query_baseline("segmentation.segments.list", lambda: client.get(reverse("segmentation:segment_list")))
    assert len(page.context["rows"]) == 6
    api = assert_query_baseline("api.segments.list", lambda: client.get("/api/v1/segments"))
    assert [s["name"] for s in api.json()] == [f"s{i}" for i in range(6)]
    assert all(s["may_change"] for s in api.json())
