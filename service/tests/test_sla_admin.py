"""The administrators' pages and API reads: working calendar, holidays (add, delete, CSV import),
SLA policies; everyone else is refused."""

from datetime import date, time

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from audit.models import ObjectChange
from customers.records.testing import ApiCaller
from service import services_sla as services
from service import sla
from service.models import Holiday, SlaPolicy, WorkingCalendar

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    sla.invalidate()
    yield
    sla.invalidate()


ADMIN_PAGES = ["service:sla_calendar", "service:sla_policies", "service:holiday_list"]


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_pages_are_for_administrators(client_for, admin_user, manager_a, name):
    assert client_for(admin_user).get(reverse(name)).status_code == 200
    assert client_for(manager_a).get(reverse(name)).status_code == 403


def test_calendar_form_saves_and_refuses_a_lunch_outside_the_day(client_for, admin_user):
    client = client_for(admin_user)
    response = client.post(reverse("service:sla_calendar"), {
        "weekdays": ["1", "2", "3", "4", "5", "6"], "day_start": "08:30", "day_end": "17:30",
        "lunch_start": "12:00", "lunch_end": "13:00", "renewal_notice_days": "45"})
    assert response.status_code == 302
    row = WorkingCalendar.objects.get(key="default")
    assert (row.weekdays, row.day_start, row.renewal_notice_days) == ("123456", time(8, 30), 45)
    assert ObjectChange.objects.filter(object_type="service.workingcalendar").exists()
    response = client.post(reverse("service:sla_calendar"), {
        "weekdays": ["1"], "day_start": "09:00", "day_end": "18:00", "lunch_start": "19:00", "lunch_end": "20:00",
        "renewal_notice_days": "30"})
    assert response.status_code == 400 and "lunch_start" in response.context["form"].errors
    response = client.post(reverse("service:sla_calendar"), {
        "day_start": "09:00", "day_end": "18:00", "renewal_notice_days": "30"})
    assert response.status_code == 400 and "weekdays" in response.context["form"].errors
    assert WorkingCalendar.objects.get(key="default").weekdays == "123456"


def test_policies_form(client_for, admin_user):
    client = client_for(admin_user)
    page = client.get(reverse("service:sla_policies"))
    data = {name: field.value() for name, field in ((f.name, f) for f in page.context["form"])}
    data["complaint_critical_ack"], data["complaint_critical_resolve"] = 20, 200
    assert client.post(reverse("service:sla_policies"), data).status_code == 302
    policy = SlaPolicy.objects.get(subject="complaint", level="critical")
    assert (policy.acknowledge_minutes, policy.resolve_minutes) == (20, 200)
    data["complaint_critical_resolve"] = 5  # shorter than the acknowledge time
    response = client.post(reverse("service:sla_policies"), data)
    assert response.status_code == 400
    assert SlaPolicy.objects.get(subject="complaint", level="critical").resolve_minutes == 200


def test_holidays_add_delete(client_for, admin_user):
    client = client_for(admin_user)
    page = client.get(reverse("service:holiday_list"), {"year": 2026}).content.decode()
    assert "2026-02-14" in page and "2026-10-07" in page
    response = client.post(reverse("service:holiday_list"), {"date": "2027-01-01", "name": "元旦"})
    assert response.status_code == 302
    holiday = Holiday.objects.get(date=date(2027, 1, 1))
    response = client.post(reverse("service:holiday_list"), {"date": "2027-01-01", "name": "again"})
    assert response.status_code == 400  # the date is taken
    client.post(reverse("service:holiday_delete", args=[holiday.pk]))
    assert not Holiday.objects.filter(date=date(2027, 1, 1)).exists()


def test_holidays_csv_import(client_for, admin_user):
    csv = "date,name,working\n2027-01-01,元旦,0\n2027-02-06,春节调休,1\n2026-01-01,元旦 New Year,\n".encode()
    response = client_for(admin_user).post(reverse("service:holiday_import"),
                                           {"file": SimpleUploadedFile("2027.csv", csv)})
    assert response.status_code == 302
    assert Holiday.objects.get(date=date(2027, 2, 6)).is_working_day
    assert not Holiday.objects.get(date=date(2027, 1, 1)).is_working_day
    assert Holiday.objects.get(date=date(2026, 1, 1)).name == "元旦 New Year"
    assert sla.working_calendar().is_working_day(date(2027, 2, 6))  # the clock sees the new days at once


@pytest.mark.parametrize(("content", "message"), [
    (b"2027-13-01,bad,0\n", "Line 1"),
    (b"2027-01-01,,0\n", "Line 1"),
    (b"2027-01-01,a,maybe\n", "Line 1"),
    (b"2027-01-01,a,0\n2027-01-01,b,0\n", "Line 2"),
    (b"\xff\xfe", "UTF-8"),
    (b"date,name\n", "no days"),
])
def test_a_bad_csv_changes_nothing(admin_user, content, message):
    before = Holiday.objects.count()
    with translation.override("en"), pytest.raises(ValidationError, match=message):
        services.holidays_import_csv(actor=admin_user, content=content)
    assert Holiday.objects.count() == before


def test_services_refuse_non_administrators(manager_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.holiday_create(actor=manager_a, day=date(2027, 1, 1), name="x")
    with pytest.raises(PermissionDenied):
        services.calendar_update(actor=manager_a, data={"renewal_notice_days": 5})
    with pytest.raises(PermissionDenied):
        services.policies_update(actor=manager_a, times={("complaint", "low"): (1, 2)})


def test_api_reads_for_administrators(admin_user, sales_a):
    api = ApiCaller(admin_user)
    holidays = api.get("/sla/holidays", year=2026).json()
    assert {"date": "2026-01-04", "is_working_day": True}.items() <= holidays[3].items()
    assert len(api.get("/sla/policies").json()) == 8
    assert api.get("/sla/calendar").json()["weekdays"] == [1, 2, 3, 4, 5]
    for path in ("/sla/holidays", "/sla/policies", "/sla/calendar"):
        assert ApiCaller(sales_a).get(path).status_code == 403
