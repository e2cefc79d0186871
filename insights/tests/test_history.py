"""The purchase history the models see, on tiny hand-built order histories: what counts as a
purchase (paid, not deleted, one per calendar day in the business time zone) and the exact
sufficient statistics."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.utils import timezone

from commerce.choices import OrderStatus
from commerce.models import Order
from insights.history import purchase_history
from insights.tests.scoring_data import moment, orders_bulk

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 31)
PAID = OrderStatus.PAID


def _row(history, customer_id):
    i = int(np.flatnonzero(history.customer_id == customer_id)[0])
    return i


def test_same_day_counts_once_and_only_paid_orders_count(make_customer, sales_a):
    c = make_customer(sales_a)
    orders_bulk([
        (c.pk, moment(date(2026, 1, 1), 9), "100", "30", PAID),
        (c.pk, moment(date(2026, 1, 1), 15), "50", "10", PAID),  # same day: one purchase
        (c.pk, moment(date(2026, 1, 15)), "200", "60", PAID),
        (c.pk, moment(date(2026, 1, 29)), "400", "80", PAID),
        (c.pk, moment(date(2026, 2, 5)), "999", "99", OrderStatus.CANCELLED),
        (c.pk, moment(date(2026, 2, 12)), "999", "99", OrderStatus.REFUNDED),
        (c.pk, moment(date(2026, 2, 19)), "999", "99", OrderStatus.PLACED),
        (c.pk, moment(date(2026, 2, 26)), "999", "99", PAID),  # deleted below
        (c.pk, moment(date(2026, 4, 2)), "999", "99", PAID),  # after as_of
    ])
    Order.objects.filter(ordered_at=moment(date(2026, 2, 26))).update(deleted_at=timezone.now())

    h = purchase_history(as_of=AS_OF)
    assert list(h.customer_id) == [c.pk]
    assert h.x.tolist() == [2.0]  # three purchase days: x = 2 repeat purchases
    # First day 1 Jan, last 29 Jan, as of 31 Mar: t_x = 28 days, T = 89 days, in weeks.
    assert h.t_x.tolist() == [4.0]
    assert h.T.tolist() == [pytest.approx(89 / 7)]
    assert h.revenue.tolist() == [750.0] and h.margin.tolist() == [180.0]
    # Gamma-Gamma's m: the mean of the REPEAT purchase days (15 and 29 Jan), the first day left out.
    assert h.mean_repeat_revenue.tolist() == [300.0]
    assert h.margin_share.tolist() == [pytest.approx(0.24)]


def test_days_are_calendar_days_in_the_business_time_zone(make_customer, sales_a, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    c = make_customer(sales_a)
    tz = ZoneInfo("Asia/Shanghai")
    orders_bulk([
        # 23:30 and 00:30 in Shanghai are two different days, though both fall on 10 Jan in UTC.
        (c.pk, datetime(2026, 1, 10, 23, 30, tzinfo=tz), "10", "1", PAID),
        (c.pk, datetime(2026, 1, 11, 0, 30, tzinfo=tz), "20", "2", PAID),
        # 01:00 and 07:00 on 12 Jan in Shanghai: one day, 12 Jan (both are still 11 Jan in UTC).
        (c.pk, datetime(2026, 1, 12, 1, 0, tzinfo=tz), "30", "3", PAID),
        (c.pk, datetime(2026, 1, 12, 7, 0, tzinfo=tz), "40", "4", PAID),
    ])
    h = purchase_history(as_of=date(2026, 1, 12))
    assert h.days.tolist() == [3]
    assert h.first_day.astype("datetime64[D]").tolist() == [date(2026, 1, 10)]
    assert h.last_day.astype("datetime64[D]").tolist() == [date(2026, 1, 12)]
    assert h.T.tolist() == [pytest.approx(2 / 7)] and h.t_x.tolist() == [pytest.approx(2 / 7)]
    # An order at 23:59 on the as-of day counts; one a minute later (the next day) does not.
    orders_bulk([(c.pk, datetime(2026, 1, 13, 0, 0, tzinfo=tz), "1", "0", PAID)])
    assert purchase_history(as_of=date(2026, 1, 12)).days.tolist() == [3]


def test_holdout_split_and_customers_without_purchases(make_customer, sales_a):
    buyer, late, never = make_customer(sales_a), make_customer(sales_a), make_customer(sales_a)
    holdout_start = AS_OF - timedelta(days=89)  # 1 Jan 2026 with AS_OF 31 Mar
    assert holdout_start == date(2026, 1, 1)
    orders_bulk([
        (buyer.pk, moment(date(2025, 10, 1)), "100", "10", PAID),
        (buyer.pk, moment(date(2025, 11, 1)), "100", "10", PAID),
        (buyer.pk, moment(date(2025, 12, 31)), "100", "10", PAID),  # last calibration day
        (buyer.pk, moment(date(2026, 1, 1)), "100", "10", PAID),  # first holdout day
        (buyer.pk, moment(date(2026, 3, 1)), "100", "10", PAID),
        (late.pk, moment(date(2026, 2, 1)), "100", "10", PAID),  # first bought in the holdout window
    ])
    h = purchase_history(as_of=AS_OF, holdout_days=90)
    assert never.pk not in h.customer_id  # never bought: not in the models' population
    assert h.holdout_start == holdout_start
    mask, x, t_x, T, actual = h.calibration()  # noqa: N806
    assert h.customer_id[mask].tolist() == [buyer.pk]
    assert x.tolist() == [2.0]
    assert t_x.tolist() == [pytest.approx(91 / 7)]  # 1 Oct → 31 Dec
    assert T.tolist() == [pytest.approx(91 / 7)]  # calibration ends 31 Dec
    assert actual.tolist() == [2.0]
    i = _row(h, late.pk)
    assert h.days[i] == 1 and h.cal_days[i] == 0 and h.holdout_days[i] == 1


def test_deleted_customers_are_not_scored(make_customer, sales_a):
    gone = make_customer(sales_a)
    orders_bulk([(gone.pk, moment(date(2026, 1, 5)), "10", "1", PAID)])
    gone.deleted_at = timezone.now()
    gone.save(update_fields=["deleted_at"])
    assert len(purchase_history(as_of=AS_OF)) == 0
