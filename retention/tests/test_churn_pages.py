"""The churn page, its downloads and the API: scoped, exact query counts, bad input."""

from __future__ import annotations

import csv
import io

import pytest

from core.testing import assert_query_baseline, logged_in
from customers.tests.test_api import ApiClient
from retention.tests.test_churn_rates import world  # noqa: F401  (the hand-built history)

pytestmark = pytest.mark.django_db


def test_page_shows_the_figures(world, admin_user):  # noqa: F811
    client = logged_in(admin_user)
    response = assert_query_baseline("retention.churn_page",
                                     lambda: client.get("/retention/?by=owner&period=month"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "churn-chart-data" in text and "33.33" in text  # February 2025: 1 of 3
    assert "Cohort retention" in text and "too young to fit" in text


def test_page_in_chinese(world, admin_user):  # noqa: F811
    response = logged_in(admin_user, "zh-hans").get("/retention/")
    assert response.status_code == 200
    assert "流失" in response.content.decode()


def test_scoped_viewer_sees_no_company_cohorts(world, sales_b):  # noqa: F811
    response = logged_in(sales_b).get("/retention/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "shown to roles that see every customer" in text
    assert "2025-02" not in text  # team B lost nobody


def test_downloads_match_the_table(world, admin_user):  # noqa: F811
    client = logged_in(admin_user)
    response = client.get("/retention/export/?table=rates&format=csv&period=quarter")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    q1 = next(r for r in rows if r[0] == "2025 Q1")
    assert q1[1:6] == ["3", "2", "2", "66.67", "1"]
    for table in ("breakdown", "cohorts", "fits"):
        assert client.get(f"/retention/export/?table={table}&format=xlsx").status_code == 200
    assert client.get("/retention/export/?table=nope&format=csv").status_code == 404
    assert client.get("/retention/export/?table=rates&format=pdf").status_code == 404


def test_bad_choices_fall_back(world, admin_user):  # noqa: F811
    response = logged_in(admin_user).get("/retention/?period=year&by=planet&at=x")
    assert response.status_code == 200


def test_api(world, admin_user, sales_b):  # noqa: F811
    api = ApiClient(admin_user)
    rates = assert_query_baseline("retention.api_churn_rates",
                                  lambda: api.get("/churn/rates", period="quarter")).json()
    q1 = next(p for p in rates["periods"] if p["period"] == "2025 Q1")
    assert (q1["active_start"], q1["lost"], q1["returned_same"]) == (3, 2, 1)
    breakdown = api.get("/churn/breakdown", by="reason", at="2024-06").json()
    assert [(r["key"], r["figures"]["lost"]) for r in breakdown["rows"]] == [("price", 1)]
    assert api.get("/churn/breakdown", by="planet").status_code == 422
    assert api.get("/churn/breakdown", at="2024-13").status_code == 422
    cohorts = assert_query_baseline("retention.api_churn_cohorts", lambda: api.get("/churn/cohorts")).json()
    assert cohorts["visible"] and any(c["cohort"] == "2025-04" for c in cohorts["cohorts"])
    other = ApiClient(sales_b)
    assert other.get("/churn/rates").json()["periods"] == []
    assert other.get("/churn/cohorts").json()["visible"] is False
