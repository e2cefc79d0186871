"""Appointment services: conflicts before saving (busy-only for what the actor may not see), save
anyway noted on the appointment and in the audit, versions, soft delete, the outcome in one step."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import ObjectChange
from core.concurrency import StaleWrite, version_of
from interactions.models import Interaction
from work.models.calendar import Appointment, AppointmentAttendee
from work.services_calendar import (
    AppointmentConflicts,
    appointment_create,
    appointment_delete,
    appointment_outcome_record,
    appointment_update,
)
from work.tests.calendar_helpers import at, make_appointment

pytestmark = pytest.mark.django_db


def test_create_puts_it_in_the_attendees_calendars(sales_a, manager_a, customer_a):
    appt = make_appointment(sales_a, at(4, 10), at(4, 11), users=(manager_a,), customer=customer_a.pk,
                            location="Hangzhou")
    assert set(AppointmentAttendee.objects.filter(appointment=appt).values_list("user_id", flat=True)) == {
        sales_a.pk, manager_a.pk}
    assert appt.organiser == sales_a and not appt.conflict_noted
    change = ObjectChange.objects.get(object_type="work.appointment", object_id=appt.pk)
    assert change.customer_id == customer_a.pk and change.changes["users"] == [None, sorted([sales_a.pk, manager_a.pk])]


def test_touching_appointments_do_not_conflict(sales_a):
    make_appointment(sales_a, at(4, 10), at(4, 11))
    make_appointment(sales_a, at(4, 11), at(4, 12))  # no AppointmentConflicts
    assert Appointment.objects.count() == 2


def test_an_overlap_of_any_attendee_is_refused_before_saving(sales_a, manager_a, service_a):
    first = make_appointment(manager_a, at(4, 10), at(4, 11), title="Board")
    with pytest.raises(AppointmentConflicts) as caught:
        make_appointment(sales_a, at(4, 10.5), at(4, 12), users=(manager_a, service_a))
    (conflict,) = caught.value.conflicts
    assert (conflict.user_id, conflict.appointment_id, conflict.title) == (manager_a.pk, first.pk, "Board")
    assert Appointment.objects.count() == 1  # nothing saved


def test_the_organiser_counts_as_an_attendee(sales_a, manager_a):
    make_appointment(manager_a, at(4, 10), at(4, 11), users=(sales_a,))
    with pytest.raises(AppointmentConflicts):
        make_appointment(sales_a, at(4, 9), at(4, 13))


def test_save_anyway_notes_the_conflict(sales_a, manager_a):
    make_appointment(manager_a, at(4, 10), at(4, 11))
    appt = make_appointment(sales_a, at(4, 10), at(4, 11), users=(manager_a,), save_anyway=True)
    assert appt.conflict_noted
    change = ObjectChange.objects.get(object_type="work.appointment", object_id=appt.pk)
    assert change.changes["conflict_noted"] == [None, True] and manager_a.username in change.note


def test_conflicts_with_what_the_actor_may_not_see_are_busy_only(sales_a, sales_b, customer_b, make_user, team_a):
    """sales_b (team B) has a visit with their customer; sales_a invites sales_b at that time: sales_a
    learns that sales_b is busy, not with whom or what."""
    make_appointment(sales_b, at(5, 14), at(5, 15), customer=customer_b.pk, title="Contract with 李娜")
    with pytest.raises(AppointmentConflicts) as caught:
        make_appointment(sales_a, at(5, 14.5), at(5, 16), users=(sales_b,))
    (conflict,) = caught.value.conflicts
    assert conflict.busy_only and conflict.title is None and conflict.user_id == sales_b.pk


def test_all_day_conflicts_with_any_time_of_the_day(sales_a):
    appointment_create(actor=sales_a, data={"title": "Trade fair", "all_day": True, "start_date": date(2030, 3, 5),
                                            "end_date": date(2030, 3, 6)})
    with pytest.raises(AppointmentConflicts):
        make_appointment(sales_a, at(6, 23), at(6, 23.5))
    make_appointment(sales_a, at(7, 0), at(7, 1))  # the day after: touching only
    make_appointment(sales_a, at(4, 23), at(5, 0))  # the evening before: touching only


def test_deleted_appointments_do_not_conflict(sales_a):
    appt = make_appointment(sales_a, at(4, 10), at(4, 11))
    appointment_delete(actor=sales_a, appointment_id=appt.pk)
    make_appointment(sales_a, at(4, 10), at(4, 11))
    assert Appointment.objects.alive().count() == 1


def test_reschedule_checks_conflicts_and_version(sales_a, manager_a):
    make_appointment(sales_a, at(4, 14), at(4, 15))
    appt = make_appointment(sales_a, at(4, 10), at(4, 11), users=(manager_a,))
    seen = version_of(appt)
    with pytest.raises(AppointmentConflicts):
        appointment_update(actor=sales_a, appointment_id=appt.pk, data={"starts_at": at(4, 14), "ends_at": at(4, 16)})
    moved = appointment_update(actor=sales_a, appointment_id=appt.pk,
                               data={"starts_at": at(4, 15), "ends_at": at(4, 16)}, expected_version=seen)
    assert AppointmentAttendee.objects.filter(appointment=appt, starts_at=at(4, 15)).count() == 2
    with pytest.raises(StaleWrite):
        appointment_update(actor=sales_a, appointment_id=appt.pk, data={"title": "late"}, expected_version=seen)
    assert moved.title == "Visit"


def test_bad_input_is_refused_naming_the_field(sales_a, customer_b):
    with pytest.raises(ValidationError) as caught:
        make_appointment(sales_a, at(4, 11), at(4, 10))
    assert "ends_at" in caught.value.error_dict
    with pytest.raises(ValidationError) as caught:
        make_appointment(sales_a, at(4, 10), at(4, 11), customer=customer_b.pk)
    assert "customer" in caught.value.error_dict
    assert Appointment.objects.count() == 0


def test_only_the_organiser_or_who_may_change_the_customer_changes_it(sales_a, sales_b, manager_a, customer_a):
    appt = make_appointment(sales_a, at(4, 10), at(4, 11), customer=customer_a.pk)
    with pytest.raises(PermissionDenied):
        appointment_update(actor=sales_b, appointment_id=appt.pk, data={"title": "x"})
    appointment_update(actor=manager_a, appointment_id=appt.pk, data={"title": "Team visit"})  # the team's customer
    internal = make_appointment(sales_a, at(5, 10), at(5, 11), users=(manager_a,))
    with pytest.raises(PermissionDenied):
        appointment_update(actor=sales_b, appointment_id=internal.pk, data={"title": "x"})


def test_outcome_becomes_an_interaction_in_one_step(sales_a, customer_a):
    appt = make_appointment(sales_a, at(4, 10), at(4, 11), customer=customer_a.pk, kind="call", notes="Prices")
    interaction = appointment_outcome_record(actor=sales_a, appointment_id=appt.pk, outcome="Orders next week")
    assert isinstance(interaction, Interaction)
    assert (interaction.channel, interaction.customer_id, interaction.occurred_at, interaction.outcome,
            interaction.content) == ("phone", customer_a.pk, at(4, 10), "Orders next week", "Prices")
    appt.refresh_from_db()
    assert appt.outcome_id == interaction.pk
    with pytest.raises(ValidationError):
        appointment_outcome_record(actor=sales_a, appointment_id=appt.pk, outcome="again")
    assert Interaction.objects.filter(customer=customer_a).count() == 1


def test_a_weekly_series_conflicts_at_a_later_occurrence(sales_a, manager_a):
    series = make_appointment(manager_a, at(4, 10), at(4, 11), title="Weekly review", recurrence="weekly",
                              recurrence_until=date(2030, 3, 25))
    # The attendee row spans the whole series: the indexed candidate query finds it three weeks later.
    assert AppointmentAttendee.objects.get(appointment=series).ends_at == at(25, 11)
    with pytest.raises(AppointmentConflicts) as caught:
        make_appointment(sales_a, at(18, 10.5), at(18, 12), users=(manager_a,))
    (conflict,) = caught.value.conflicts
    assert (conflict.appointment_id, conflict.starts_at, conflict.ends_at) == (series.pk, at(18, 10), at(18, 11))
    make_appointment(sales_a, at(18, 11), at(18, 12), users=(manager_a,))  # touching the occurrence
    make_appointment(sales_a, at(19, 10), at(19, 11), users=(manager_a,))  # a Tuesday
    # A new daily series meets the weekly one on its Mondays.
    with pytest.raises(AppointmentConflicts):
        make_appointment(sales_a, at(12, 10), at(12, 10.5), users=(manager_a,), recurrence="daily",
                         recurrence_until=date(2030, 3, 20))


def test_a_series_needs_its_last_day_within_a_year(sales_a):
    with pytest.raises(ValidationError) as caught:
        make_appointment(sales_a, at(4, 10), at(4, 11), recurrence="weekly")
    assert "recurrence_until" in caught.value.error_dict
    with pytest.raises(ValidationError) as caught:
        make_appointment(sales_a, at(4, 10), at(4, 11), recurrence="daily", recurrence_until=date(2031, 3, 6))
    assert "recurrence_until" in caught.value.error_dict
