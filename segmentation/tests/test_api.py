"""The segmentation API: same permissions as the pages, scoped members, cursor pages."""

from __future__ import annotations

import pytest

from core.testing import assert_query_baseline
from segmentation.models import SavedSegment
from segmentation.tests.segment_data import customers, segment, write_segments

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(sales_a, sales_b):
    mine = customers(sales_a, 5, name="甲")
    theirs = customers(sales_b, 2, name="乙")
    write_segments([segment(c, abc_tier="A", profit=10) for c in mine + theirs])
    return mine, theirs


def test_schemes_and_stats(sales_a, data, client_for):
    client = client_for(sales_a)
    schemes = assert_query_baseline("api.segmentation.schemes",
                                    lambda: client.get("/api/v1/segmentation/schemes")).json()
    assert [s["key"] for s in schemes][:5] == ["abc", "rfm", "lifecycle", "loyalty", "value_matrix"]
    abc = client.get("/api/v1/segmentation/schemes/abc").json()
    assert abc["customers"] == 5 and {s["key"]: s["customers"] for s in abc["stats"]}["A"] == 5
    assert client.get("/api/v1/segmentation/schemes/nope").status_code == 404


def test_class_members_are_scoped_and_cursor_paged(sales_a, data, client_for):
    client = client_for(sales_a)
    first = assert_query_baseline("api.segmentation.class_members", lambda: client.get(
        "/api/v1/segmentation/schemes/abc/classes/A/customers?limit=3")).json()
    assert len(first["items"]) == 3 and all(i["name"] == "甲" for i in first["items"])
    assert first["items"][0]["segment"]["abc_tier"] == "A"
    second = client.get(f"/api/v1/segmentation/schemes/abc/classes/A/customers?limit=3&cursor={first['next_cursor']}")
    assert len(second.json()["items"]) == 2 and second.json()["next_cursor"] is None
    bad = client.get("/api/v1/segmentation/schemes/abc/classes/A/customers?cursor=forged")
    assert bad.status_code == 400


def test_customer_segments_404_when_out_of_scope(sales_a, sales_b, data, client_for):
    mine, theirs = data
    client = client_for(sales_a)
    ok = client.get(f"/api/v1/customers/{mine[0].pk}/segments")
    assert ok.status_code == 200
    body = ok.json()
    assert {c["scheme"]: c["class_key"] for c in body["classes"]}["abc"] == "A"
    assert body["scores"]["profit"] == "10.00"
    assert client.get(f"/api/v1/customers/{theirs[0].pk}/segments").status_code == 404
    put = client.put(f"/api/v1/customers/{mine[0].pk}/segments/relationship_level",
                     {"class_key": "partner"}, content_type="application/json")
    assert put.status_code == 200 and put.json()["class_key"] == "partner"
    assert client.put(f"/api/v1/customers/{theirs[0].pk}/segments/relationship_level",
                      {"class_key": "partner"}, content_type="application/json").status_code == 404
    assert client.put(f"/api/v1/customers/{mine[0].pk}/segments/relationship_level",
                      {"class_key": "nope"}, content_type="application/json").status_code == 400


def test_saved_segments_crud(sales_a, sales_b, admin_user, data, client_for):
    client = client_for(sales_a)
    rules = [{"field": "abc_tier", "op": "eq", "value": "A"}]
    created = client.post("/api/v1/segments", {"name": "A", "rules": rules, "shared_with_all": True},
                          content_type="application/json")
    assert created.status_code == 201, created.json()
    sid = created.json()["id"]
    bad = client.post("/api/v1/segments", {"name": "x", "rules": [{"field": "nope", "op": "eq", "value": 1}]},
                      content_type="application/json")
    assert bad.status_code == 400 and bad.json()["detail"][0]["loc"] == ["body", "rules"]
    other = client_for(sales_b)
    assert other.get(f"/api/v1/segments/{sid}").json()["may_change"] is False
    members = other.get(f"/api/v1/segments/{sid}/customers").json()["items"]
    assert {m["name"] for m in members} == {"乙"}
    assert other.put(f"/api/v1/segments/{sid}", {"name": "mine now", "rules": []},
                     content_type="application/json").status_code == 403
    assert other.delete(f"/api/v1/segments/{sid}").status_code == 403
    client = client_for(sales_a)
    assert client.put(f"/api/v1/segments/{sid}", {"name": "A tier", "rules": rules},
                      content_type="application/json").json()["name"] == "A tier"
    # No longer shared: invisible (404) to team B.
    assert client_for(sales_b).get(f"/api/v1/segments/{sid}").status_code == 404
    assert client_for(sales_a).delete(f"/api/v1/segments/{sid}").status_code == 204
    assert not SavedSegment.objects.exists()


def test_anonymous_is_refused(data, client):
    assert client.get("/api/v1/segments").status_code == 401
