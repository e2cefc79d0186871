"""Win-back campaigns (filter, tasks and e-mails, idempotent per customer), attribution of win-backs
to the latest attempt within the window, and the rates against new-prospect conversion."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from core.timeline import timeline_page
from insights.models import CustomerScore
from insights.tests.scoring_data import scores_stored
from interactions.services import interaction_create
from retention import selectors_winback as selectors
from retention.models import WinbackAttempt, WinbackCampaign, WinbackScript
from retention.services_winback import campaign_create, campaign_execute, customer_mark_lost, winback_attribute
from retention.tests.winback_data import days_ago, lost_customer, paid_orders, refresh, sent_at
from segmentation.models import LifecycleTransition
from work.models import OutgoingEmail, Task

pytestmark = pytest.mark.django_db


def _run(actor, **data):
    data.setdefault("name", "春季挽回")
    data.setdefault("by_task", True)
    campaign = campaign_create(actor=actor, data=data)
    return campaign_execute(campaign_id=campaign.pk)


@pytest.fixture
def lost(make_customer, sales_a, make_user, team_a):
    """Four lost customers of team A: price (with e-mail), service, unknown (with e-mail), and one of
    a colleague's (product); and one active customer."""
    colleague = make_user("sales", team_a)
    price = lost_customer(make_customer, sales_a, "钱多多", email="qian@example.cn")
    service = lost_customer(make_customer, sales_a, "孙服务")
    unknown = lost_customer(make_customer, sales_a, "李未知", email="li@example.cn")
    product = lost_customer(make_customer, colleague, "周产品", last_order_days=700)
    active = make_customer(sales_a, name="活跃客户")
    paid_orders(active, 10)
    refresh()
    customer_mark_lost(actor=sales_a, customer_id=price.pk, reason="price",
                       contact={"channel": "phone", "subject": "问"})
    customer_mark_lost(actor=sales_a, customer_id=service.pk, reason="service",
                       contact={"channel": "phone", "subject": "问"})
    customer_mark_lost(actor=colleague, customer_id=product.pk, reason="product",
                       contact={"channel": "visit", "subject": "问"})
    return {"price": price, "service": service, "unknown": unknown, "product": product, "active": active,
            "colleague": colleague}


def test_a_campaign_makes_one_task_per_owner_and_customer_and_mails_with_the_script(lost, manager_a, sales_a):
    campaign = _run(manager_a, by_task=True, by_email=True, language="en")

    assert (campaign.status, campaign.total, campaign.done) == ("done", 4, 4)
    attempts = {(a.customer_id, a.channel): a for a in WinbackAttempt.objects.all()}
    assert len(attempts) == 8
    task_attempt = attempts[(lost["product"].pk, "task")]
    assert task_attempt.status == "sent" and task_attempt.task.assignee == lost["colleague"]
    assert task_attempt.reason == "product" and "Win back 周产品" in task_attempt.task.title or "周产品" in \
        task_attempt.task.title
    assert Task.objects.filter(customer=lost["price"], assignee=sales_a).count() == 1
    # E-mail to the customer's own address with the script of the reason class, merge fields filled.
    price_mail = attempts[(lost["price"].pk, "email")].email
    script = WinbackScript.objects.get(reason="price")
    assert price_mail.to == "qian@example.cn" and price_mail.language == "en"
    assert price_mail.subject == script.subject_en.replace("{{ customer }}", "钱多多")
    assert "钱多多" in price_mail.body_text and "{{" not in price_mail.body_text
    assert attempts[(lost["unknown"].pk, "email")].reason == "unknown"
    skipped = attempts[(lost["service"].pk, "email")]
    assert (skipped.status, skipped.email) == ("skipped", None) and skipped.note
    assert lost["active"].pk not in {c for c, _ch in attempts}
    # Each attempt is on the customer's timeline.
    with translation.override("en"):
        entries = timeline_page(user=sales_a, customer_id=lost["price"].pk, kinds=["winback"]).entries
    assert sorted(e.kind_label for e in entries) == ["E-mail", "Task for the owner"]


def test_campaign_creation_is_idempotent_per_customer(lost, manager_a):
    campaign = _run(manager_a, by_task=True, by_email=True)
    before = (WinbackAttempt.objects.count(), Task.objects.count(), OutgoingEmail.objects.count())
    again = campaign_execute(campaign_id=campaign.pk)  # the job delivered twice
    assert again.status == "done"
    assert (WinbackAttempt.objects.count(), Task.objects.count(), OutgoingEmail.objects.count()) == before


def test_the_filter_reason_value_and_time_since_loss(lost, manager_a, sales_b):
    assert {a.customer_id for a in _run(manager_a, reasons=["price", "unknown"]).attempts.all()} == {
        lost["price"].pk, lost["unknown"].pk}
    # The colleague's product customer was lost 700 days after its last order: lost ~334 days ago.
    old = _run(manager_a, lost_min_days=300)
    assert {a.customer_id for a in old.attempts.all()} == {lost["product"].pk}
    scores_stored([lost["price"], lost["service"]])  # CLV 1000 and 1001
    CustomerScore.objects.filter(customer=lost["service"]).update(clv=5000.0)
    rich = _run(manager_a, value_basis="clv", value_min="2000")
    assert {a.customer_id for a in rich.attempts.all()} == {lost["service"].pk}
    margin = _run(manager_a, value_basis="margin", value_min="60", value_max="60")  # two orders × 30
    assert len({a.customer_id for a in margin.attempts.all()}) == 4
    # A user only reaches the customers they may change: another team's sales user none of these.
    other = _run(sales_b)
    assert (other.status, other.total, other.attempts.count()) == ("done", 0, 0)


def test_bad_campaigns_are_refused(lost, manager_a, analyst):
    with pytest.raises(ValidationError) as exc:
        campaign_create(actor=manager_a, data={"name": "", "by_task": False, "by_email": False, "reasons": ["x"]})
    assert set(exc.value.message_dict) == {"name", "by_task", "reasons"}
    with pytest.raises(ValidationError):
        campaign_create(actor=manager_a, data={"name": "n", "by_task": True, "value_min": "5", "value_max": "1"})
    with pytest.raises(ValidationError):
        campaign_create(actor=manager_a, data={"name": "n", "by_task": True, "lost_min_days": 9, "lost_max_days": 1})
    with pytest.raises(PermissionDenied):
        campaign_create(actor=analyst, data={"name": "n", "by_task": True})
    assert not WinbackCampaign.objects.exists()


# --- attribution --------------------------------------------------------------------------------

def _won_back(customer, on):
    return LifecycleTransition.objects.create(customer=customer, on=on, from_stage="lost", to_stage="repeat",
                                              cause="won_back")


def _attempt(campaign, customer, day, channel="task"):
    return WinbackAttempt.objects.create(campaign=campaign, customer=customer, reason="price", channel=channel,
                                         status="sent", sent_at=sent_at(day), sent_on=day)


def test_attribution_window_edges_and_latest_attempt_wins(make_customer, sales_a):
    campaign = WinbackCampaign.objects.create(name="c", created_by=sales_a, team=sales_a.team)
    edge, beyond, after, twice, same_day = (make_customer(sales_a) for _ in range(5))
    purchase = days_ago(5)
    on_edge = _attempt(campaign, edge, purchase - timedelta(days=90))
    too_old = _attempt(campaign, beyond, purchase - timedelta(days=91))
    late = _attempt(campaign, after, purchase + timedelta(days=1))
    first = _attempt(campaign, twice, purchase - timedelta(days=30))
    second = _attempt(campaign, twice, purchase - timedelta(days=10), channel="email")
    today = _attempt(campaign, same_day, purchase)
    wins = {c.pk: _won_back(c, purchase) for c in (edge, beyond, after, twice, same_day)}

    assert winback_attribute() == 3
    for attempt in (on_edge, too_old, late, first, second, today):
        attempt.refresh_from_db()
    assert (on_edge.outcome, on_edge.won_back_on, on_edge.won_back_transition_id) == (
        "won_back", purchase, wins[edge.pk].pk)
    assert too_old.outcome == late.outcome == first.outcome == "open"
    assert second.outcome == today.outcome == "won_back"
    assert winback_attribute() == 0  # nothing credited twice
    # A configurable window: a shorter one leaves the 90-day attempt of a new win-back uncredited.
    third = make_customer(sales_a)
    old = _attempt(campaign, third, purchase - timedelta(days=40))
    _won_back(third, purchase)
    assert winback_attribute(window_days=30) == 0
    old.refresh_from_db()
    assert old.outcome == "open"


def test_an_attempt_is_credited_once_and_a_second_win_back_needs_a_new_attempt(make_customer, sales_a):
    campaign = WinbackCampaign.objects.create(name="c", created_by=sales_a, team=sales_a.team)
    customer = make_customer(sales_a)
    attempt = _attempt(campaign, customer, days_ago(200))
    _won_back(customer, days_ago(180))
    _won_back(customer, days_ago(20))
    assert winback_attribute(window_days=400) == 1
    attempt.refresh_from_db()
    assert attempt.won_back_on == days_ago(180)


# --- rates --------------------------------------------------------------------------------------

def test_rates_on_hand_built_data(make_customer, sales_a, sales_b):
    campaign = WinbackCampaign.objects.create(name="c", created_by=sales_a, team=sales_a.team)
    start, end = days_ago(99), days_ago(0)
    customers = [make_customer(sales_a) for _ in range(8)]
    # 8 price/service customers attempted in the period, 2 won back (both price); one attempted twice.
    for i, c in enumerate(customers):
        a = _attempt(campaign, c, days_ago(50))
        a.reason = "price" if i < 4 else "service"
        if i in (0, 1):
            a.outcome, a.won_back_on = "won_back", days_ago(10)
        a.save()
    _attempt(campaign, customers[0], days_ago(40), channel="email")
    _attempt(campaign, make_customer(sales_a), days_ago(150))  # before the period
    WinbackAttempt.objects.create(campaign=campaign, customer=make_customer(sales_a), reason="price", channel="email",
                                  status="skipped", sent_at=sent_at(days_ago(5)), sent_on=days_ago(5))
    # Prospects: 5 contacted without an earlier purchase, 1 of them bought after the contact; 1 contacted
    # who had bought before (not a prospect); 1 who bought before being contacted in the period (not converted).
    prospects = [make_customer(sales_a) for _ in range(5)]
    for c in prospects:
        interaction_create(actor=sales_a, customer_id=c.pk, data={"channel": "phone", "subject": "介绍产品",
                                                                   "occurred_at": sent_at(days_ago(30))})
    paid_orders(prospects[0], 20)
    paid_orders(prospects[1], 31)  # bought the day before the first contact
    old_buyer = make_customer(sales_a)
    paid_orders(old_buyer, 300)
    interaction_create(actor=sales_a, customer_id=old_buyer.pk, data={"channel": "phone", "subject": "回访"})
    paid_orders(old_buyer, 1)

    found = selectors.rates(sales_a, start=start, end=end)
    assert (found.winback.numerator, found.winback.denominator) == (2, 8)
    assert found.winback.value == Decimal("0.25")
    assert [(k, r.numerator, r.denominator) for k, _l, r in found.by_reason] == [("price", 2, 4), ("service", 0, 4)]
    assert (found.prospect.numerator, found.prospect.denominator) == (1, 5)
    assert found.reference_winback == Decimal("0.25") and found.reference_prospect == Decimal("0.0625")
    # Another team sees none of it.
    other = selectors.rates(sales_b, start=start, end=end)
    assert (other.winback.denominator, other.prospect.denominator, other.winback.percent) == (0, 0, "–")
