"""The home dashboard and the recent-changes selector behind it."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse

from audit.selectors import recent_changes
from core.testing import assert_query_baseline
from customers.models import Customer
from customers.services import customer_mark_verified, customer_update

HOME = reverse("home")


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def _chart(response) -> dict:
    return response.context["risk_chart"]


def _age(*customers) -> None:
    """Make the cards stale: verified (at creation) longer ago than KEHU_STALE_AFTER_DAYS."""
    long_ago = Customer.stale_before() - timedelta(days=1)
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(last_verified_at=long_ago)


@pytest.mark.django_db
class TestHome:
    def test_requires_login(self, client):
        response = client.get(HOME)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))

    def test_shows_my_numbers_stale_cards_and_changes(self, client_for, sales_a, customer_a, make_customer,
                                                      service_a):
        _age(customer_a, make_customer(service_a, name="王芳"))  # a team mate's customer: visible, not mine
        response = client_for(sales_a).get(HOME)
        assert response.status_code == 200
        assert response.context["counts"] == {"mine": 1, "visible": 2, "stale": 1}
        html = response.content.decode()
        assert "My team&#x27;s customers" in html or "My team's customers" in html
        # customer_a was last verified long ago: it is stale, linked to its card, with a one-click verify.
        assert [c.pk for c in response.context["stale"]] == [customer_a.pk]
        assert reverse("customers:customer_detail", args=[customer_a.pk]) in html
        assert f'action="{reverse("customers:customer_verify", args=[customer_a.pk])}"' in html
        # Its creation is a recent change.
        assert "张伟" in html
        assert {c.change.customer_id for c in response.context["changes"]} >= {customer_a.pk}

    def test_verified_card_is_no_longer_stale(self, client_for, sales_a, customer_a):
        _age(customer_a)
        customer_mark_verified(actor=sales_a, customer_id=customer_a.pk)
        response = client_for(sales_a).get(HOME)
        assert response.context["stale"] == []

    def test_other_team_sees_nothing_of_customer_a(self, client_for, sales_b, customer_a, customer_b, sales_a):
        customer_update(actor=sales_a, customer_id=customer_a.pk, data={"city": "天津"})
        response = client_for(sales_b).get(HOME)
        html = response.content.decode()
        assert "张伟" not in html and "天津" not in html
        assert "李娜" in html
        assert response.context["counts"] == {"mine": 1, "visible": 1, "stale": 0}
        assert {c.change.customer_id for c in response.context["changes"]} == {customer_b.pk}
        assert sum(_chart(response)["values"]) == 1

    def test_admin_sees_all(self, client_for, admin_user, customer_a, customer_b):
        _age(customer_a, customer_b)
        response = client_for(admin_user).get(HOME)
        assert response.context["counts"] == {"mine": 0, "visible": 2, "stale": 2}
        html = response.content.decode()
        assert "All customers" in html and "Cards to re-verify, all customers" in html
        # The administrator answers for every card: all stale cards, with their owners.
        assert {c.pk for c in response.context["stale"]} == {customer_a.pk, customer_b.pk}

    def test_manager_sees_the_stale_cards_of_the_team(self, client_for, manager_a, sales_a, sales_b,
                                                      make_customer):
        mine, team_mates, other_team = (make_customer(manager_a), make_customer(sales_a),
                                        make_customer(sales_b))
        fresh = make_customer(sales_a)
        _age(mine, team_mates, other_team)
        response = client_for(manager_a).get(HOME)
        assert response.context["counts"] == {"mine": 1, "visible": 3, "stale": 2}
        assert {c.pk for c in response.context["stale"]} == {mine.pk, team_mates.pk}
        assert fresh.pk not in {c.pk for c in response.context["stale"]}
        html = response.content.decode()
        assert "Cards to re-verify in my team" in html
        assert str(sales_a) in html  # the owner column says whose card it is

    def test_sales_sees_only_own_stale_cards(self, client_for, sales_a, service_a, make_customer):
        _age(make_customer(sales_a), make_customer(service_a))
        response = client_for(sales_a).get(HOME)
        assert response.context["counts"]["stale"] == 1
        assert len(response.context["stale"]) == 1

    def test_a_new_customer_is_not_stale(self, client_for, sales_a, customer_a):
        response = client_for(sales_a).get(HOME)
        assert response.context["counts"]["stale"] == 0
        assert response.context["stale"] == []

    def test_analyst_has_no_verify_button(self, client_for, analyst, customer_a):
        response = client_for(analyst).get(HOME)
        assert response.context["can_verify"] is False
        assert "/verify/" not in response.content.decode()

    def test_chart_counts_by_risk_preference_in_translated_labels(self, client_for, sales_a, make_customer):
        for risk in ["balanced", "balanced", "aggressive", ""]:
            make_customer(sales_a, risk_preference=risk)
        response = client_for(sales_a).get(HOME)
        chart = _chart(response)
        by_label = dict(zip(chart["labels"], chart["values"], strict=True))
        assert by_label["Balanced"] == 2 and by_label["Aggressive"] == 1 and by_label["Conservative"] == 0
        assert by_label["Not set"] == 1
        html = response.content.decode()
        # The data goes to the page as JSON (json_script) for static/kehu/home.js: no inline script.
        start = html.index('<script id="risk-chart-data" type="application/json">')
        payload = html[start:].split(">", 1)[1].split("</script>", 1)[0]
        assert json.loads(payload) == chart
        assert "kehu/home.js" in html and "echarts.min.js" in html
        assert 'id="risk-chart"' in html

    def test_chart_labels_follow_the_language(self, client_for, make_user, make_customer, team_a):
        user = make_user("sales", team_a, language="zh-hans")
        make_customer(user, risk_preference="balanced")
        response = client_for(user).get(HOME)
        assert 'lang="zh-hans"' in response.content.decode()
        assert _chart(response)["labels"][:5] == [str(x) for x in _risk_labels("zh-hans")]

    def test_query_count(self, client_for, sales_a, make_customer):
        for i in range(15):
            c = make_customer(sales_a, name=f"客户{i}", risk_preference="balanced")
            customer_update(actor=sales_a, customer_id=c.pk, data={"city": "上海"})
            _age(c)
        client = client_for(sales_a)
        # session, user, counts, stale cards, chart, recent changes (+ their users), follow-up tasks
        response = assert_query_baseline("home", lambda: client.get(HOME))
        assert len(response.context["changes"]) == 10
        assert len(response.context["stale"]) == 10


def _risk_labels(language):
    from django.utils import translation

    from customers.choices import RiskPreference

    with translation.override(language):
        return [str(label) for label in RiskPreference.labels]


@pytest.mark.django_db
class TestRecentChanges:
    def test_scoped_to_visible_customers(self, sales_a, sales_b, manager_a, admin_user, analyst,
                                         customer_a, customer_b):
        assert {c.customer_id for c in recent_changes(user=sales_a, limit=10)} == {customer_a.pk}
        assert {c.customer_id for c in recent_changes(user=manager_a, limit=10)} == {customer_a.pk}
        assert {c.customer_id for c in recent_changes(user=sales_b, limit=10)} == {customer_b.pk}
        assert {c.customer_id for c in recent_changes(user=admin_user, limit=10)} == {customer_a.pk, customer_b.pk}
        assert {c.customer_id for c in recent_changes(user=analyst, limit=10)} == {customer_a.pk, customer_b.pk}

    def test_newest_first_and_limited(self, sales_a, customer_a):
        for city in ["天津", "上海", "广州"]:
            customer_update(actor=sales_a, customer_id=customer_a.pk, data={"city": city})
        changes = recent_changes(user=sales_a, limit=2)
        assert len(changes) == 2
        assert changes[0].changes["city"][1] == "广州"
        assert changes[0].at >= changes[1].at

    def test_inactive_or_anonymous_see_nothing(self, sales_a, customer_a):
        from django.contrib.auth.models import AnonymousUser

        assert recent_changes(user=AnonymousUser(), limit=10) == []
        sales_a.is_active = False
        assert recent_changes(user=sales_a, limit=10) == []

    def test_user_and_team_entries_are_not_customer_changes(self, admin_user, sales_a, team_b):
        from accounts.services import user_update

        user_update(actor=admin_user, user_id=sales_a.pk, data={"role": "service"})
        assert recent_changes(user=admin_user, limit=10) == []
