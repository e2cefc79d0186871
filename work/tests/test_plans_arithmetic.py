"""Plan vs actual on a hand-built history: orders, interactions, new and won-back customers on
specific days (and at the edges of the month in the business time zone), checked exactly against
the actual, the completion and the run-rate forecast; metric queries are set-based."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from commerce.models import Order
from customers.models import Customer
from interactions.models import Interaction
from segmentation.models import LifecycleTransition
from work import plan_registry as reg
from work import selectors_plans as sel
from work import services_plans as services
from work.models import Target

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)
TODAY = date(2026, 3, 10)  # 10 of 31 days elapsed


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=reg.business_zone())


def order(customer, salesperson, at, revenue, margin, status="paid", **extra):
    return Order.objects.create(customer=customer, salesperson=salesperson, ordered_at=at, status=status,
                                revenue=Decimal(revenue), margin=Decimal(margin), **extra)


def contact(customer, staff, at, channel, **extra):
    return Interaction.objects.create(customer=customer, staff=staff, occurred_at=at, channel=channel,
                                      subject="跟进", **extra)


@pytest.fixture
def history(make_user, team_a, sales_a, make_customer):
    colleague = make_user("sales", team_a, username="sales_a2")
    c1, c2, c3 = (make_customer(sales_a, name=n) for n in ("甲", "乙", "丙"))
    gone = make_customer(sales_a, name="丁")
    other = make_customer(colleague, name="戊")
    Customer.objects.filter(pk=c1.pk).update(created_at=local(2026, 3, 1, 0, 0))  # first minute of March
    Customer.objects.filter(pk=c2.pk).update(created_at=local(2026, 3, 9, 18, 0))
    Customer.objects.filter(pk=c3.pk).update(created_at=local(2026, 2, 28, 23, 59))  # February
    Customer.objects.filter(pk=gone.pk).update(created_at=local(2026, 3, 3, 9, 0), deleted_at=local(2026, 3, 4, 9, 0))
    Customer.objects.filter(pk=other.pk).update(created_at=local(2026, 3, 5, 9, 0))

    order(c1, sales_a, local(2026, 3, 2, 10, 0), "1000.00", "300.00")
    order(c1, sales_a, local(2026, 3, 9, 23, 30), "500.00", "100.00")  # 15:30 UTC, still 9 March here
    order(c2, sales_a, local(2026, 3, 1, 0, 30), "200.00", "50.00")  # 28 Feb 16:30 UTC: March here
    order(c2, sales_a, local(2026, 3, 5, 10, 0), "9999.00", "999.00", status="placed")  # not paid: no
    order(c2, sales_a, local(2026, 3, 6, 10, 0), "7777.00", "777.00", status="refunded")  # refunded: no
    order(c2, sales_a, local(2026, 3, 7, 10, 0), "6666.00", "666.00", deleted_at=local(2026, 3, 8, 0, 0))
    order(c3, sales_a, local(2026, 2, 28, 23, 59), "4000.00", "400.00")  # February
    order(c3, sales_a, local(2026, 4, 1, 0, 0), "3000.00", "300.00")  # April
    order(other, colleague, local(2026, 3, 3, 12, 0), "800.00", "200.00")

    contact(c1, sales_a, local(2026, 3, 4, 15, 0), "visit")
    contact(c2, sales_a, local(2026, 3, 8, 9, 0), "visit")
    contact(c1, sales_a, local(2026, 3, 2, 9, 0), "phone")
    contact(c2, sales_a, local(2026, 3, 3, 9, 0), "phone")
    contact(c3, sales_a, local(2026, 3, 9, 9, 0), "phone")
    contact(c3, sales_a, local(2026, 2, 28, 9, 0), "phone")  # February
    contact(c3, sales_a, local(2026, 3, 9, 10, 0), "phone", deleted_at=local(2026, 3, 9, 11, 0))
    contact(c3, sales_a, local(2026, 3, 9, 11, 0), "email")  # neither a visit nor a call
    contact(other, colleague, local(2026, 3, 3, 9, 0), "phone")

    LifecycleTransition.objects.create(customer=c3, on=date(2026, 3, 5), from_stage="lost", to_stage="repeat",
                                       cause="won_back")
    LifecycleTransition.objects.create(customer=c3, on=date(2026, 2, 5), from_stage="lost", to_stage="repeat",
                                       cause="won_back")  # February
    LifecycleTransition.objects.create(customer=c2, on=date(2026, 3, 5), from_stage="", to_stage="potential",
                                       cause="new_customer")
    return colleague


def cells(row):
    return {c.metric.key: c for c in row.cells}


def test_actual_completion_and_forecast_of_a_person_and_the_team(history, manager_a, sales_a, team_a):
    colleague = history
    for key, value in (("revenue", "5000"), ("margin", "1000"), ("calls", "20"), ("visits", "0")):
        services.target_set(actor=manager_a, month=MARCH, metric=key, value=value, user_id=sales_a.pk)
    services.target_set(actor=manager_a, month=MARCH, metric="revenue", value="10000", team_id=team_a.pk)

    users = [sales_a, colleague]
    progress = sel.month_progress(viewer=manager_a, month=MARCH, users=users, team=team_a, today=TODAY)
    assert (progress.elapsed_days, progress.days) == (10, 31)
    team, mine, theirs = progress.rows
    assert (team.team, mine.user, theirs.user) == (team_a, sales_a, colleague)

    m = cells(mine)
    assert m["revenue"].actual == Decimal("1700.00")  # 1000 + 500 + 200
    assert m["revenue"].target == Decimal("5000.00")
    assert m["revenue"].completion == Decimal("34.0")
    assert m["revenue"].forecast == Decimal("5270.00")  # 1700 / 10 × 31
    assert m["margin"].actual == Decimal("450.00")
    assert m["margin"].completion == Decimal("45.0")
    assert m["margin"].forecast == Decimal("1395.00")
    assert m["calls"].actual == 3
    assert m["calls"].completion == Decimal("15.0")
    assert m["calls"].forecast == Decimal("9.30")
    assert m["visits"].actual == 2
    assert m["visits"].completion is None  # a target of 0 has no completion
    assert m["new_customers"].actual == 2  # 1 and 9 March; not February's, not the deleted one
    assert m["new_customers"].target is None and m["new_customers"].completion is None
    assert m["won_back"].actual == 1

    t = cells(team)
    assert t["revenue"].actual == Decimal("2500.00")
    assert t["revenue"].completion == Decimal("25.0")
    assert t["revenue"].forecast == Decimal("7750.00")
    assert t["calls"].actual == 4
    assert t["new_customers"].actual == 3
    assert t["margin"].target is None  # the person's targets are not the team's
    assert cells(theirs)["revenue"].actual == Decimal("800.00")


def test_last_month_is_kept_and_a_future_month_has_no_forecast(history, manager_a, sales_a):
    services.target_set(actor=manager_a, month=date(2026, 2, 1), metric="revenue", value="8000", user_id=sales_a.pk)
    services.target_set(actor=manager_a, month=MARCH, metric="revenue", value="5000", user_id=sales_a.pk)
    feb = cells(sel.month_progress(viewer=sales_a, month=date(2026, 2, 14), users=[sales_a], team=None,
                                   today=TODAY).rows[0])
    assert feb["revenue"].actual == Decimal("4000.00")
    assert feb["revenue"].target == Decimal("8000.00")
    assert feb["revenue"].completion == Decimal("50.0")
    assert feb["revenue"].forecast == Decimal("4000.00")  # a finished month: the forecast is what it was
    assert feb["won_back"].actual == 1
    april = cells(sel.month_progress(viewer=sales_a, month=date(2026, 4, 1), users=[sales_a], team=None,
                                     today=TODAY).rows[0])
    assert april["revenue"].actual == Decimal("3000.00")
    assert april["revenue"].forecast is None


@pytest.mark.parametrize(("actual", "elapsed", "days", "expected"), [
    ("0", 1, 30, "0.00"), ("1", 3, 31, "10.33"), ("2", 3, 31, "20.67"), ("100", 30, 30, "100"),
    ("7", 0, 31, None),
])
def test_forecast_rule(actual, elapsed, days, expected):
    result = sel.forecast(Decimal(actual), elapsed, days)
    assert result == (None if expected is None else Decimal(expected))


def test_elapsed_days_and_completion_rounding():
    assert sel.elapsed_days(MARCH, date(2026, 2, 28)) == 0
    assert sel.elapsed_days(MARCH, date(2026, 3, 1)) == 1
    assert sel.elapsed_days(MARCH, date(2026, 4, 2)) == 31
    assert sel.elapsed_days(date(2028, 2, 1), date(2028, 3, 1)) == 29  # leap year
    assert sel.completion(Decimal("1"), Decimal("3")) == Decimal("33.3")
    assert sel.completion(Decimal("2"), Decimal("3")) == Decimal("66.7")
    assert sel.completion(Decimal("5"), None) is None


def test_metric_queries_are_set_based(history, make_user, team_a, manager_a, sales_a):
    """One aggregate query per metric and one for the targets, however many people the team has."""
    def count(users):
        with CaptureQueriesContext(connection) as captured:
            sel.month_progress(viewer=manager_a, month=MARCH, users=users, team=team_a, today=TODAY)
        return len(captured.captured_queries)

    few = count([sales_a])
    many = count([sales_a, history, *(make_user("sales", team_a) for _ in range(5))])
    assert few == many == len(reg.metrics()) + 1


def test_demo_targets_are_last_month_plus_ten_percent(sales_a, manager_a, team_a, customer_a):
    from work import demo_plans

    this = sel.month_start(sel.business_today())
    last = sel.month_start(this - timedelta(days=1))
    team_a.manager = manager_a
    team_a.save()
    order(customer_a, sales_a, local(last.year, last.month, 2, 10, 0), "1234.00", "100.00")
    contact(customer_a, sales_a, local(last.year, last.month, 3, 10, 0), "phone")
    phases = demo_plans.generate(first_customer_id=1, last_customer_id=1, seed=1, progress=lambda *a: None)
    assert "targets" in phases

    def target(metric, **whose):
        return Target.objects.get(month=this, metric=metric, **whose).value

    assert target("revenue", user=sales_a) == Decimal("1400")  # 1234 × 1.1 = 1357.4, up to hundreds
    assert target("calls", user=sales_a) == Decimal("2")  # 1 × 1.1, up to a whole call
    assert target("calls", user=manager_a) == Decimal("1")  # nothing last month: at least 1
    assert target("calls", team=team_a) == Decimal("3")
    assert Target.objects.get(month=this, metric="revenue", user=sales_a).set_by == manager_a
