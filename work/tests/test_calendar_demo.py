"""The demo's appointments: in the demo users' calendars around today, with their own customers,
team meetings with every member, reproducible by seed, and readable through the calendar pages."""

from __future__ import annotations

import pytest
from django.utils import timezone

from work.demo_calendar import generate, plan
from work.models.calendar import Appointment, AppointmentAttendee
from work.selectors_calendar import calendar_entries

pytestmark = pytest.mark.django_db


def test_demo_appointments(make_user, make_customer, team_a):
    sales = make_user("sales", team_a, is_demo=True)
    manager = make_user("manager", team_a, is_demo=True)
    mine = [make_customer(sales).pk for _ in range(3)]
    generate(first_customer_id=min(mine), last_customer_id=max(mine), seed=7, progress=lambda *a: None)
    visits = Appointment.objects.filter(customer__isnull=False)
    assert visits.exists() and set(visits.values_list("customer_id", flat=True)) <= set(mine)
    assert set(visits.values_list("organiser_id", flat=True)) == {sales.pk}
    meeting = Appointment.objects.filter(kind="meeting").first()
    assert set(AppointmentAttendee.objects.filter(appointment=meeting).values_list("user_id", flat=True)) == {
        sales.pk, manager.pk}
    # Every appointment's attendee rows carry its times (the conflict index reads them).
    for a in AppointmentAttendee.objects.select_related("appointment"):
        assert (a.starts_at, a.ends_at) == (a.appointment.starts_at, a.appointment.ends_at)
    now = timezone.now()
    assert calendar_entries(user=sales, start=now - timezone.timedelta(days=30), end=now + timezone.timedelta(days=30))


def test_plan_is_reproducible():
    today = timezone.localdate()
    users, customers = [(1, 9), (2, 9)], {1: [10, 11], 2: [12]}
    first = plan(users=users, customers=customers, seed=3, today=today)
    assert first == plan(users=users, customers=customers, seed=3, today=today)
    assert first != plan(users=users, customers=customers, seed=4, today=today)
