"""The call list, the value page, the refresh button with its progress, the settings page and the
card panel: scoped to the customers the user may see, bounded in queries."""

import pytest
from django.urls import reverse
from django.utils import translation

from core.testing import assert_query_baseline
from insights.models import InsightSettings, RunStatus, ScoreRun
from insights.panels import score_card_panels
from insights.tests.scoring_data import customers_bulk, scores_stored

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def scored(sales_a, sales_b, make_user, team_a):
    """60 team-A customers (30 of sales_a, 30 of a colleague) and 10 team-B customers, scored."""
    colleague = make_user("sales", team_a, username="colleague_a")
    a = customers_bulk(sales_a, 30, "甲") + customers_bulk(colleague, 30, "丙")
    b = customers_bulk(sales_b, 10, "乙")
    # Team B's customers get the best call scores, so a leak would top the list.
    run = scores_stored(b + a, churn=True)
    return {"a": a, "b": b, "run": run, "colleague": colleague}


def _names(response):
    return [row["score"].customer.name for row in response.context["rows"]]


def test_call_list_shows_only_visible_customers_best_first(client_for, sales_a, sales_b, scored):
    client = client_for(sales_a)
    response = assert_query_baseline("insights.calls.list", lambda: client.get(reverse("insights:call_list")))
    assert response.status_code == 200
    names = _names(response)
    assert len(names) == 50 and not [n for n in names if n.startswith("乙")]
    scores = [row["score"].call_score for row in response.context["rows"]]
    assert scores == sorted(scores, reverse=True)
    html = response.content.decode()
    assert "Bought every 30 days, silent for 45 days" in html and "稳健理财A" in html
    # The next page holds the remaining 10 team-A customers, nothing repeated.
    more = assert_query_baseline("insights.calls.list", lambda: client.get(
        reverse("insights:call_list"), {"cursor": response.context["page"].next_cursor}))
    assert len(_names(more)) == 10 and not set(_names(more)) & set(names)

    other = client_for(sales_b).get(reverse("insights:call_list"))
    assert sorted(_names(other)) == sorted(c.name for c in scored["b"])


def test_call_list_owner_filter_and_bad_input(client_for, manager_a, sales_b, scored):
    client = client_for(manager_a)
    colleague = scored["colleague"]
    response = client.get(reverse("insights:call_list"), {"owner": colleague.pk})
    assert set(_names(response)) == {c.name for c in scored["a"] if c.owner_id == colleague.pk}
    # An owner outside the manager's scope narrows nothing and reveals nothing.
    response = client.get(reverse("insights:call_list"), {"owner": sales_b.pk})
    assert not [n for n in _names(response) if n.startswith("乙")] and len(_names(response)) == 50
    response = client.get(reverse("insights:call_list"), {"cursor": "not-a-cursor"})
    assert response.status_code == 400


def test_call_list_in_chinese(client_for, sales_a, scored):
    client = client_for(sales_a)
    response = client.get(reverse("insights:call_list"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert "最佳名单" in html and "每 30 天购买一次，已 45 天未购买" in html


def test_value_page_aggregates_only_visible_customers(client_for, sales_a, analyst, scored):
    client = client_for(sales_a)
    response = assert_query_baseline("insights.value", lambda: client.get(reverse("insights:value")))
    assert response.status_code == 200
    totals = response.context["totals"]
    assert totals["customers"] == 60
    assert totals["clv"] == pytest.approx(sum(1000.0 + i for i in range(10, 70)))
    assert sum(d.customers for d in response.context["deciles"]) == 60
    assert sum(d.share for d in response.context["deciles"]) == pytest.approx(1.0)
    at_risk = [row["score"].customer.name for row in response.context["at_risk"]]
    assert at_risk and not [n for n in at_risk if n.startswith("乙")]
    html = response.content.decode()
    assert "Model diagnostics" not in html and "Refresh now" not in html  # sales: neither

    response = client_for(analyst).get(reverse("insights:value"))
    assert response.context["totals"]["customers"] == 70
    html = response.content.decode()
    assert "Model diagnostics" in html and "Refresh now" in html and "0.2400" in html
    assert 'id="insights-chart-data"' in html and "<script>" not in html


def test_value_page_before_any_run(client_for, manager_a):
    response = client_for(manager_a).get(reverse("insights:value"))
    assert response.status_code == 200 and "Not scored yet" in response.content.decode()


def test_refresh_button_queues_a_run_and_shows_its_progress(client_for, settings, sales_a, manager_a,
                                                            django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    assert client_for(sales_a).post(reverse("insights:refresh")).status_code == 403
    client = client_for(manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("insights:refresh"))
    assert response.status_code == 302
    run = ScoreRun.objects.get()
    assert run.status == RunStatus.QUEUED and run.requested_by == manager_a
    page = client.get(reverse("insights:value")).content.decode()
    assert reverse("insights:run_progress", args=[run.pk]) in page and "Waiting for the background worker" in page
    # A second press while one is queued is refused with a message, not a second run.
    client.post(reverse("insights:refresh"))
    assert ScoreRun.objects.count() == 1
    ScoreRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING,
                                              progress={"phase": "write", "done": 50, "total": 200})
    partial = client.get(reverse("insights:run_progress", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and 'value="78"' in partial.content.decode()  # 70 % + 30 % × 50/200
    ScoreRun.objects.filter(pk=run.pk).update(status=RunStatus.DONE)
    done = client.get(reverse("insights:run_progress", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert done.status_code == 204 and done["HX-Refresh"] == "true"
    assert client_for(sales_a).get(reverse("insights:run_progress", args=[run.pk])).status_code == 403


def test_settings_page_for_administrators_only(client_for, admin_user, manager_a):
    assert client_for(manager_a).get(reverse("insights:settings")).status_code == 403
    client = client_for(admin_user)
    assert client.get(reverse("insights:settings")).status_code == 200
    bad = client.post(reverse("insights:settings"), {"horizon_months": "0", "discount_percent": "1",
                                                     "period_days": "30"})
    assert bad.status_code == 400 and not InsightSettings.objects.exists()
    good = client.post(reverse("insights:settings"), {"horizon_months": "18", "discount_percent": "1.5",
                                                      "period_days": "60"})
    assert good.status_code == 302
    saved = InsightSettings.objects.get()
    assert (saved.horizon_months, str(saved.monthly_discount_rate), saved.period_days) == (18, "0.0150", 60)


def _panels(customer):
    """The card's analytics panels fragment (the card loads it after the page)."""
    return reverse("customers:customer_detail", args=[customer.pk]) + "?part=panels"


def test_card_panel_shows_the_scores_in_a_fixed_number_of_queries(client_for, sales_a, sales_b, scored,
                                                                  django_assert_num_queries):
    customer = scored["a"][0]
    with django_assert_num_queries(1):
        panels = score_card_panels(sales_a, customer.pk)
    assert panels[0].context["score"].customer_id == customer.pk
    # Another team's user gets no scores of this customer (the card itself answers 404).
    with django_assert_num_queries(2):
        assert score_card_panels(sales_b, customer.pk)[0].context["score"] is None
    html = client_for(sales_a).get(_panels(customer)).content.decode()
    assert "Predicted value" in html and "Lifetime value (CLV)" in html and "1,010" in html
    assert "Probability still active" in html and "not a churn risk" in html
    assert "Days since last purchase: 120 (typical 45), raises the risk" in html
    assert "稳健理财A" in html and "popular: held by 30% of customers" in html
    with translation.override("zh-hans"):
        html = client_for(sales_a).get(_panels(customer),
                                       HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "客户终生价值" in html


def test_card_panel_before_any_run_and_for_a_customer_without_orders(client_for, sales_a, customer_a):
    html = client_for(sales_a).get(_panels(customer_a)).content.decode()
    assert "Not scored yet: the models have not run." in html
    scores_stored([])
    html = client_for(sales_a).get(_panels(customer_a)).content.decode()
    assert "Not scored: no paid order up to the model run" in html


def test_card_says_how_still_active_differs_from_churn_risk(client_for, sales_a, scored):
    run = scored["run"]
    run.churn = {"status": "ok", "window_days": 90}
    run.save(update_fields=["churn"])
    html = client_for(sales_a).get(_panels(scored["a"][1])).content.decode()
    assert "BG/NBD model: the probability that the customer has not quietly left us" in html
    assert "Churn classifier: the probability that the customer buys nothing in the next 90 days" in html
    assert "data-alive-vs-churn" in html and "answer different questions" in html


def test_population_mean_order_value_is_marked_as_such(client_for, sales_a, scored):
    client = client_for(sales_a)
    one_time, repeat = scored["a"][0], scored["a"][1]  # frequency 0 and 1 (scores_stored: i % 5)
    html = client.get(_panels(one_time)).content.decode()
    assert "≈ 120" in html and "average of similar customers" in html
    html = client.get(_panels(repeat)).content.decode()
    assert "average of similar customers" not in html and "≈ 120" not in html
    response = client.get(reverse("insights:call_list"))
    html = response.content.decode()
    one_time_rows = sum(1 for row in response.context["rows"] if row["score"].frequency == 0)
    assert one_time_rows and html.count("≈ 120<sup>*</sup>") == one_time_rows
    assert "average order value of all customers (Gamma-Gamma population mean)" in html
