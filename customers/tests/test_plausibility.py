"""Implausible card values are refused in Customer.clean() — the services' check step — so the
form, the API and imports (dataio/tests/test_import_plausibility.py) all refuse them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from customers import services
from customers.idnumbers import resident_id_problem
from customers.models import Customer
from customers.tests.test_api import ApiClient

pytestmark = pytest.mark.django_db

VALID = "11010519491231002X"  # the worked example of GB 11643-1999


def _create(actor, **data):
    return services.customer_create(actor=actor, data={"kind": "person", "name": "陈静", **data})


def _errors(exc_info):
    with translation.override("en"):  # the model's messages are lazy: read them in English
        return exc_info.value.message_dict


@pytest.mark.parametrize(("number", "why"), [
    ("12345", "18 characters"),
    ("11010519491231002", "18 characters"),
    ("1101051949123100XX", "18 characters"),
    ("110105194913310024", "date of birth"),  # month 13
    ("110105219912310028", "date of birth"),  # born in 2199
    ("110105194912310021", "check digit"),
])
def test_resident_id_numbers_are_checked(number, why):
    with translation.override("en"):
        assert why in resident_id_problem(number)
    assert resident_id_problem(VALID) == ""


def test_service_refuses_a_bad_resident_id_number(sales_a):
    with pytest.raises(ValidationError) as exc, translation.override("en"):
        _create(sales_a, id_type="resident_id", id_number="12345")
    assert "18 characters" in _errors(exc)["id_number"][0]
    assert not Customer.objects.exists()


def test_a_number_needs_its_type_unless_it_is_a_valid_resident_id_number(sales_a):
    with pytest.raises(ValidationError) as exc, translation.override("en"):
        _create(sales_a, id_number="12345")
    assert _errors(exc) == {"id_type": ["Choose the type of ID for this ID number."]}
    # A valid resident ID number says what it is (a lower-case x is the same check character).
    customer = _create(sales_a, id_number=VALID.lower())
    assert (customer.id_type, customer.id_number) == ("resident_id", VALID)
    # Other documents are not checked, but their type is then given.
    passport = _create(sales_a, id_type="passport", id_number="E12345678")
    assert passport.id_type == "passport"


def test_birthday_in_the_future_and_negative_assets_are_refused(sales_a):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as exc, translation.override("en"):
        _create(sales_a, birthday=tomorrow, assets=Decimal("-1"))
    assert _errors(exc) == {"birthday": ["The birthday cannot be in the future."],
                            "assets": ["Assets cannot be negative."]}
    assert _create(sales_a, birthday=timezone.localdate(), assets=Decimal("0")).pk


def test_the_form_shows_the_errors_in_the_users_language(client_for, sales_a):
    client = client_for(sales_a)
    data = {"kind": "person", "name": "陈静", "assets_currency": "CNY", "id_type": "resident_id",
            "id_number": "110105194912310021", "birthday": "2999-01-01"}
    html = client.post(reverse("customers:customer_add"), data, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "生日不能是将来的日期" in html
    assert "校验位" in html
    assert not Customer.objects.exists()


def test_a_stored_value_the_user_cannot_see_is_reported_not_crashing(client_for, service_a, make_customer):
    # Service staff see assets masked (not on their form); a negative amount stored before the rule
    # is named above the form instead of failing on the missing field.
    customer = make_customer(service_a, name="旧数据")
    Customer.objects.filter(pk=customer.pk).update(assets=Decimal("-5"))
    response = client_for(service_a).post(
        reverse("customers:customer_edit", args=[customer.pk]),
        {"kind": "person", "name": "旧数据", "city": "天津"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Assets cannot be negative." in response.content.decode()


def test_api_refuses_them_too(sales_a):
    api = ApiClient(sales_a)
    response = api.post("/customers", {"kind": "person", "name": "陈静", "id_type": "resident_id",
                                       "id_number": "12345"})
    assert response.status_code == 400
    assert "18 characters" in response.content.decode()
    response = api.post("/customers", {"kind": "person", "name": "陈静", "birthday": "2999-01-01"})
    assert response.status_code == 400 and "future" in response.content.decode()
    response = api.post("/customers", {"kind": "person", "name": "陈静", "id_number": VALID})
    assert response.status_code == 201 and response.json()["id_type"] == "resident_id"


# An amount with more digits than a decimal keeps on both databases (core.decimals.SAFE_DIGITS) was
# stored on SQLite as a float rounded up to 1E+16, which the column cannot read back: every later
# read of that customer was a 500. The model refuses it, so the form and an import do too.
def test_assets_with_more_digits_than_stored_are_refused_and_the_largest_reads_back(sales_a, client):
    with pytest.raises(ValidationError) as exc_info:
        _create(sales_a, assets=Decimal("9999999999999999.99"))
    assert "assets" in _errors(exc_info)
    largest = _create(sales_a, assets=Decimal("9999999999999.99"))
    assert Customer.objects.get(pk=largest.pk).assets == Decimal("9999999999999.99")
    client.force_login(sales_a)
    page = client.post(reverse("customers:customer_add"), {"kind": "person", "name": "王芳",
                                                            "assets": "9999999999999999.99", "assets_currency": "CNY"},
                       HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and b"At most 13 digits before the decimal point" in page.content
    assert not Customer.objects.filter(name="王芳").exists()
