"""The weekly churn digest: snapshots of the churn risk, "rose most" per owner (set-based), the team
churn rate for managers, fan-out by e-mail (local SMTP server) and in kehu, once a week."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from insights.models import CustomerScore
from insights.tests.scoring_data import scores_stored
from retention.digest_winback import risers, team_churn, week_of, weekly_digest
from retention.models import ChurnRiskSnapshot, WinbackDigestRun
from segmentation.models import LifecycleTransition
from work import outbox
from work.models import Notification

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 11, 30)


def _risk(customer, value):
    CustomerScore.objects.filter(customer=customer).update(churn_risk=value)


def test_week_of_is_the_monday():
    assert week_of(date(2026, 12, 6)) == MONDAY == week_of(MONDAY)


def test_digest_content_and_fan_out(smtp_server, make_customer, make_user, team_a, team_b, sales_a, sales_b,
                                    manager_a):
    team_a.manager = manager_a
    team_a.save()
    manager_a.email = "lead.a@example.com"
    manager_a.save()
    sales_a.email, sales_a.language = "sales.a@example.com", "en"
    sales_a.save()
    mine = [make_customer(sales_a, name=f"客户{i}") for i in range(4)]
    theirs = make_customer(sales_b, name="别人的客户")
    scores_stored([*mine, theirs], churn=True)  # every risk 0.5
    assert weekly_digest(today=MONDAY - timedelta(days=7))["sent"]  # the first snapshot: nobody rose yet
    assert not Notification.objects.filter(event="retention.churn_digest").exists()

    _risk(mine[0], 0.9)   # +40 points
    _risk(mine[1], 0.6)   # +10
    _risk(mine[2], 0.3)   # fell
    _risk(theirs, 0.55)   # +5, another owner
    # Team A lost one of its two active customers last week, none the week before.
    for c in mine[:2]:
        LifecycleTransition.objects.create(customer=c, on=date(2026, 1, 1), from_stage="", to_stage="repeat",
                                           cause="second_purchase")
    LifecycleTransition.objects.create(customer=mine[0], on=MONDAY - timedelta(days=3), from_stage="repeat",
                                       to_stage="lost", cause="no_purchase")

    result = weekly_digest(today=MONDAY + timedelta(days=2), top=2)

    assert result == {"week": MONDAY, "sent": True, "owners": 2, "managers": 1}
    assert ChurnRiskSnapshot.objects.filter(week=MONDAY).count() == 5
    note = Notification.objects.get(event="retention.churn_digest", recipient=sales_a)
    assert note.title == "Churn risk rose for 2 of your customers"
    assert note.summary.startswith("客户0 90 % (+40), 客户1 60 % (+10)")
    assert Notification.objects.get(event="retention.churn_digest", recipient=sales_b).summary.startswith(
        "别人的客户 55 % (+5)")
    team_note = Notification.objects.filter(event="retention.team_churn", recipient=manager_a).latest("id")
    assert "50.0 %" in team_note.title
    outbox.send_due()
    by_to = {m["To"]: m for m in smtp_server.messages}
    text = by_to["sales.a@example.com"].get_body(("plain",)).get_content()
    assert "客户0: risk 90 % (up 40 points)" in text and "客户2" not in text
    lead = by_to["lead.a@example.com"].get_body(("plain",)).get_content()
    assert "1 of 2 active customers lost (50.0 %)" in lead.replace("\n", " ") or "50.0 %" in lead
    # Once a week: a second run in the same week sends nothing.
    assert weekly_digest(today=MONDAY + timedelta(days=4)) == {"week": MONDAY, "sent": False}
    assert WinbackDigestRun.objects.count() == 2
    assert Notification.objects.filter(event="retention.churn_digest").count() == 2


def test_risers_rank_per_owner_and_team_churn_counts(make_customer, sales_a):
    customers = [make_customer(sales_a) for _ in range(3)]
    previous, week = MONDAY - timedelta(days=7), MONDAY
    for c, before, now in zip(customers, (0.1, 0.2, 0.5), (0.5, 0.3, 0.4), strict=True):
        ChurnRiskSnapshot.objects.create(customer=c, week=previous, churn_risk=before)
        ChurnRiskSnapshot.objects.create(customer=c, week=week, churn_risk=now)
    rows = risers(week, top=5)
    assert [r["customer_id"] for r in rows] == [customers[0].pk, customers[1].pk]
    assert [round(r["rise"], 2) for r in rows] == [0.4, 0.1]
    assert team_churn(week - timedelta(days=7), week - timedelta(days=1)) == {}
