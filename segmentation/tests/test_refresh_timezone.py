"""Calendar days in the business time zone, in SQL (core.db_analytics), agree with Python's zoneinfo
at the edges of days and of daylight-saving changes, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from commerce.models import Order
from core.db_analytics import date_day_sql, day_date_sql, local_day_sql
from segmentation.tests.history import History

pytestmark = pytest.mark.django_db

INSTANTS = [
    datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC),  # Berlin: 01:59:59 CET, the day DST starts
    datetime(2026, 3, 29, 1, 0, 0, tzinfo=UTC),  # 03:00 CEST
    datetime(2026, 3, 28, 22, 59, 59, 999999, tzinfo=UTC),  # 23:59:59.999999 CET on the 28th
    datetime(2026, 3, 28, 23, 0, 0, tzinfo=UTC),  # midnight CET: the 29th
    datetime(2026, 10, 24, 21, 59, 59, tzinfo=UTC),  # 23:59:59 CEST on the 24th
    datetime(2026, 10, 24, 22, 0, 0, tzinfo=UTC),  # midnight CEST: the 25th (DST ends that night)
    datetime(2026, 10, 25, 22, 59, 59, tzinfo=UTC),  # 23:59:59 CET on the 25th
    datetime(2026, 10, 25, 23, 0, 0, tzinfo=UTC),  # the 26th
    datetime(2026, 6, 30, 15, 59, 59, tzinfo=UTC),  # Shanghai: 23:59:59 on 30 June
    datetime(2026, 6, 30, 16, 0, 0, tzinfo=UTC),  # Shanghai: 1 July
    datetime(1988, 4, 17, 15, 30, tzinfo=UTC),  # Shanghai during its 1986–1991 daylight saving
]


@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Shanghai", "America/New_York"])
def test_local_day_matches_zoneinfo(sales_a, zone):
    c = History(sales_a).customer()
    orders = Order.objects.bulk_create([Order(customer=c, ordered_at=t, status="paid") for t in INSTANTS])
    since = min(INSTANTS) - timedelta(days=1)
    until = max(INSTANTS) + timedelta(days=1)
    sql = (f"SELECT id, {local_day_sql('ordered_at', zone, until=until, since=since)}, "
           f"{day_date_sql(local_day_sql('ordered_at', zone))} FROM commerce_order ORDER BY id")
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("%%", "%"))
        found = {row[0]: (row[1], str(row[2])) for row in cursor.fetchall()}
    for order in orders:
        expected = order.ordered_at.astimezone(ZoneInfo(zone)).date()
        assert found[order.pk] == ((expected - date(1970, 1, 1)).days, expected.isoformat()), order.ordered_at


def test_date_days():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {date_day_sql('%s')}", [connection.ops.adapt_datefield_value(date(2026, 6, 30))])
        assert cursor.fetchone()[0] == (date(2026, 6, 30) - date(1970, 1, 1)).days


def test_not_a_zone_name():
    with pytest.raises(ValueError):
        local_day_sql("x", "Asia/Shanghai'; DROP TABLE x; --")
