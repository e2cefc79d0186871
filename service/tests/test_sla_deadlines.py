"""service.sla: deadlines from the working calendar, holidays and make-up days stored by the
administrators, the default policies, and a customer's agreement in force overriding them."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from service import services_sla as services
from service import sla
from service.models import Holiday, SlaPolicy, WorkingCalendar

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.fixture(autouse=True)
def fresh_cache():
    sla.invalidate()
    yield
    sla.invalidate()  # a test's changes are rolled back: the next one must not see them cached


def test_the_migration_ships_defaults_and_china_2026():
    assert WorkingCalendar.objects.get(key="default").weekdays == "12345"
    assert SlaPolicy.objects.count() == 8
    days = {h.date: h.is_working_day for h in Holiday.objects.filter(date__year=2026)}
    assert len(days) == 33 + 6  # 33 days off (3+9+3+5+3+3+7), 6 make-up working days
    assert [d for d, working in sorted(days.items()) if working] == [
        date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20), date(2026, 10, 10)]
    assert all(d.weekday() >= 5 for d, working in days.items() if working)  # make-up days are weekend days


def test_default_deadlines_in_business_hours():
    # Default calendar: Mon–Fri 09:00–12:00, 13:00–18:00. Complaint critical: 30 / 480 minutes.
    got = sla.deadlines(customer_id=0, subject="complaint", level="critical", received_at=sh(2026, 3, 6, 17, 45))
    assert got.acknowledge_by == sh(2026, 3, 9, 9, 15)      # Friday evening → Monday morning
    assert got.resolve_by == sh(2026, 3, 9, 17, 45)         # one working day later
    got = sla.deadlines(customer_id=0, subject="request", level="low", received_at=sh(2026, 3, 2, 11, 0))
    assert got.acknowledge_by == sh(2026, 3, 2, 11) + (sh(2026, 3, 3, 11) - sh(2026, 3, 2, 11))  # 480 min, lunch off


def test_holidays_and_make_up_days_count():
    # Received on the eve of the Spring Festival; the make-up Saturday Feb 14 is worked, Feb 15–23 off.
    got = sla.deadlines(customer_id=0, subject="complaint", level="high", received_at=sh(2026, 2, 13, 17, 30))
    assert got.acknowledge_by == sh(2026, 2, 14, 9, 30)
    assert got.resolve_by == sh(2026, 2, 24, 17, 30)  # 960 minutes: 30 on the 13th, 480 on the 14th, 450 on the 24th
    assert sla.business_minutes_between(start=sh(2026, 10, 1, 0), end=sh(2026, 10, 8, 0)) == 0  # National Day


def test_an_administrators_change_applies_at_once(admin_user):
    start = sh(2026, 3, 7, 10)  # a Saturday
    assert sla.business_minutes_between(start=start, end=sh(2026, 3, 7, 12)) == 0
    services.holiday_create(actor=admin_user, day=date(2026, 3, 7), name="调休", is_working_day=True)
    assert sla.business_minutes_between(start=start, end=sh(2026, 3, 7, 12)) == 120
    services.calendar_update(actor=admin_user, data={"lunch_start": None, "lunch_end": None,
                                                     "day_start": time(8), "day_end": time(17)})
    assert sla.business_minutes_between(start=sh(2026, 3, 9, 7), end=sh(2026, 3, 9, 19)) == 540
    services.policies_update(actor=admin_user, times={("complaint", "low"): (5, 10)})
    got = sla.deadlines(customer_id=0, subject="complaint", level="low", received_at=sh(2026, 3, 9, 8))
    assert (got.acknowledge_by, got.resolve_by) == (sh(2026, 3, 9, 8, 5), sh(2026, 3, 9, 8, 10))


def test_an_agreement_in_force_overrides_the_defaults(sales_a, customer_a, make_customer):
    services.agreement_create(actor=sales_a, customer_id=customer_a.pk, data={
        "level": "premium", "starts_on": date(2026, 1, 1), "ends_on": date(2026, 6, 30),
        "sla": {"complaint": {"critical": [10, 60]}}})
    received = sh(2026, 3, 2, 10)
    got = sla.deadlines(customer_id=customer_a.pk, subject="complaint", level="critical", received_at=received)
    assert (got.acknowledge_by, got.resolve_by) == (sh(2026, 3, 2, 10, 10), sh(2026, 3, 2, 11))
    # A level the agreement does not grant: the default policy (high: 60 / 960).
    got = sla.deadlines(customer_id=customer_a.pk, subject="complaint", level="high", received_at=received)
    assert got.acknowledge_by == sh(2026, 3, 2, 11)
    # Another customer: the defaults (critical: 30 / 480).
    other = make_customer(sales_a, name="李四")
    got = sla.deadlines(customer_id=other.pk, subject="complaint", level="critical", received_at=received)
    assert got.acknowledge_by == sh(2026, 3, 2, 10, 30)


def test_an_expired_or_future_agreement_does_not_override(sales_a, customer_a):
    services.agreement_create(actor=sales_a, customer_id=customer_a.pk, data={
        "level": "premium", "starts_on": date(2025, 1, 1), "ends_on": date(2025, 12, 31),
        "sla": {"complaint": {"critical": [10, 60]}}})
    services.agreement_create(actor=sales_a, customer_id=customer_a.pk, data={
        "level": "premium", "starts_on": date(2026, 6, 1), "ends_on": date(2026, 12, 31),
        "sla": {"complaint": {"critical": [5, 30]}}})
    got = sla.deadlines(customer_id=customer_a.pk, subject="complaint", level="critical",
                        received_at=sh(2026, 3, 2, 10))
    assert got.acknowledge_by == sh(2026, 3, 2, 10, 30)  # the default
    # On the last day of the later agreement (the date in the business zone) it applies…
    utc = ZoneInfo("UTC")
    got = sla.deadlines(customer_id=customer_a.pk, subject="complaint", level="critical",
                        received_at=datetime(2026, 12, 31, 1, 0, tzinfo=utc))  # 09:00 in Shanghai
    assert got.acknowledge_by == sh(2026, 12, 31, 9, 5)
    # …and not at 16:00 UTC the same day, which is already January 1 in Shanghai (no 2027 holidays listed).
    got = sla.deadlines(customer_id=customer_a.pk, subject="complaint", level="critical",
                        received_at=datetime(2026, 12, 31, 16, 0, tzinfo=utc))
    assert got.acknowledge_by == sh(2027, 1, 1, 9, 30)


def test_a_deleted_agreement_does_not_override(sales_a, customer_a):
    agreement = services.agreement_create(actor=sales_a, customer_id=customer_a.pk, data={
        "level": "premium", "starts_on": date(2026, 1, 1), "ends_on": date(2026, 12, 31),
        "sla": {"request": {"urgent": [10, 60]}}})
    services.agreement_delete(actor=sales_a, agreement_id=agreement.pk)
    got = sla.deadlines(customer_id=customer_a.pk, subject="request", level="urgent", received_at=sh(2026, 3, 2, 10))
    assert got.acknowledge_by == sh(2026, 3, 2, 11)  # default urgent: 60


def test_unknown_level_refused():
    with pytest.raises(ValueError):
        sla.deadlines(customer_id=0, subject="complaint", level="urgent", received_at=sh(2026, 3, 2, 10))


def test_one_query_per_deadline_once_cached():
    sla.deadlines(customer_id=0, subject="complaint", level="low", received_at=sh(2026, 3, 2, 10))
    with CaptureQueriesContext(connection) as queries:
        sla.deadlines(customer_id=0, subject="complaint", level="low", received_at=sh(2026, 3, 2, 10))
        sla.business_minutes_between(start=sh(2026, 3, 2, 10), end=sh(2026, 3, 9, 10))
    assert len(queries.captured_queries) == 1
