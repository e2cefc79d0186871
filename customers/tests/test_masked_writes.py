"""Masked values are never written back (issue 13, "masked values written back").

A field the user sees masked (core.masking) is never written by that user: sent back as read (the
mask, or the clear value of a field locked with it, as the ID number's type) or left out, it keeps
its stored value — also on a full replace (PUT); any other value, the real one included, is refused
with 403 and nothing changes. The forms leave such fields out; the import notes and skips them
(dataio tests)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from accounts.roles import MASKED, Role, Sensitive
from audit.models import ObjectChange
from customers import services
from customers.models import Contact, Customer
from customers.tests.test_api import ApiClient

pytestmark = pytest.mark.django_db

ID_NUMBER = "310101198807059814"


@pytest.fixture
def rich(make_customer, sales_a):
    """A customer with every sensitive value set (the real values the masks stand for)."""
    return make_customer(sales_a, name="陈静", phone="155-1234-4640", phone_alt="021-6666 8888", id_number=ID_NUMBER,
                         birthday=date(1988, 7, 5), assets=Decimal("2500000.00"), assets_currency="USD",
                         city="上海")


@pytest.fixture
def api():
    return ApiClient


@pytest.fixture
def api_service(service_a):
    return ApiClient(service_a)


def _stored(customer):
    customer.refresh_from_db()
    return (customer.id_number, customer.id_type, customer.birthday, customer.assets, customer.assets_currency,
            customer.phone, customer.phone_alt)


ORIGINAL = (ID_NUMBER, "resident_id", date(1988, 7, 5), Decimal("2500000.00"), "USD", "155-1234-4640",
            "021-6666 8888")


def _card_fields(body):
    """A GET's answer as a PUT's body: the card's own fields (not owner, team, dates, lists)."""
    skip = {"id", "owner", "team", "tags", "contacts", "family_members", "can_change", "can_delete", "can_transfer",
            "last_verified_at", "created_at", "updated_at"}
    return {k: v for k, v in body.items() if k not in skip}


@pytest.mark.parametrize("role", ["sales_a", "service_a"])
def test_get_then_put_back_with_a_note_keeps_what_the_role_cannot_see(request, role, rich):
    user = request.getfixturevalue(role)
    client = ApiClient(user)
    body = client.get(f"/customers/{rich.pk}").json()
    assert body["id_number"] == "**************9814" and body["birthday"] == "****-**-**"
    body = _card_fields(body) | {"special_notes": "prefers calls after 18:00"}
    response = client.put(f"/customers/{rich.pk}", body)
    assert response.status_code == 200, response.content
    assert _stored(rich) == ORIGINAL
    assert rich.special_notes == "prefers calls after 18:00"
    change = ObjectChange.objects.filter(object_id=rich.pk, action="update").get()
    assert set(change.changes) == {"special_notes"}  # the masks were not "changes"


def test_put_without_the_fields_the_role_cannot_see_keeps_them(api_service, rich):
    response = api_service.put(f"/customers/{rich.pk}", {"name": "陈静", "kind": "person", "city": "杭州"})
    assert response.status_code == 200, response.content
    assert _stored(rich)[:5] == ORIGINAL[:5]  # ID number, type, birthday, assets, currency kept
    assert rich.phone == "" and rich.city == "杭州"  # what the service may see and change: replaced as sent




@pytest.mark.parametrize(("field", "value"), [
    ("id_number", "310101198807050019"),
    ("id_number", ID_NUMBER),  # the real value too: accepting a right guess would confirm it
    ("id_number", ""),
    ("id_type", "passport"),
    ("birthday", "1990-01-01"),
    ("birthday", None),
])
def test_sales_cannot_change_the_id_number_or_birthday(api, sales_a, rich, field, value):
    for method in ("patch", "put"):
        body = {field: value} if method == "patch" else {"name": "陈静", "kind": "person", field: value}
        response = getattr(api(sales_a), method)(f"/customers/{rich.pk}", body)
        assert response.status_code == 403, (method, response.content)
        assert "may not change" in response.json()["detail"]
        assert _stored(rich) == ORIGINAL
    assert not ObjectChange.objects.filter(object_id=rich.pk, action="update").exists()


@pytest.mark.parametrize(("field", "value"), [("assets", "1"), ("assets", None), ("assets_currency", "CNY")])
def test_service_cannot_change_assets(api_service, rich, field, value):
    response = api_service.patch(f"/customers/{rich.pk}", {field: value})
    assert response.status_code == 403, response.content
    assert _stored(rich) == ORIGINAL


def test_masks_sent_back_are_no_change(api, sales_a, api_service, rich):
    response = api_service.patch(f"/customers/{rich.pk}", {
        "assets": "******", "assets_currency": "USD", "id_number": "**************9814", "id_type": "resident_id",
        "birthday": "****-**-**", "city": "苏州"})
    assert response.status_code == 200, response.content
    assert _stored(rich) == ORIGINAL and Customer.objects.get(pk=rich.pk).city == "苏州"
    # Sales see assets: a mask there is no amount (the mask of a field one sees is not "as read").
    for field, mask in (("assets", "******"), ("phone", "155****4640"), ("phone_alt", "021****8888")):
        response = api(sales_a).patch(f"/customers/{rich.pk}", {field: mask})
        assert response.status_code == 400, response.content
        assert response.json()["detail"][0]["loc"] == ["body", field]
    assert _stored(rich) == ORIGINAL


def test_roles_that_see_the_fields_still_change_them(api, manager_a, sales_a, rich):
    response = api(manager_a).patch(f"/customers/{rich.pk}", {"id_number": "", "birthday": None, "assets": "7"})
    assert response.status_code == 200, response.content
    rich.refresh_from_db()
    assert (rich.id_number, rich.birthday, rich.assets) == ("", None, Decimal("7"))
    # Sales see phones: they change them as before.
    assert api(sales_a).patch(f"/customers/{rich.pk}", {"phone": "139 0000 2222"}).status_code == 200


def test_the_service_refuses_whatever_the_caller(sales_a, rich):
    """The rule lives in the service, so every caller (API, forms, imports, later domains) has it."""
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.customer_update(actor=sales_a, customer_id=rich.pk, data={"id_number": "310101198807050019"})
    services.customer_update(actor=sales_a, customer_id=rich.pk, data={"id_number": "**************9814",
                                                                        "city": "南京"})
    assert _stored(rich) == ORIGINAL and rich.city == "南京"


# --- Forms ----------------------------------------------------------------------------------------

def test_the_edit_form_neither_shows_nor_takes_what_the_role_cannot_see(client_for, sales_a, rich):
    client = client_for(sales_a)
    url = f"/customers/{rich.pk}/edit/"
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for name in ("id_number", "id_type", "birthday"):
        assert f'name="{name}"' not in html, name
    # The birthday in any form a page writes it (the version token, digits of a time, may hold "1988").
    assert ID_NUMBER not in html and not any(text in html for text in ("1988-07-05", "1988-7-5", "1988年7月5日",
                                                                      "July 5, 1988", "07/05/1988"))
    assert "**************9814" in html and "****-**-**" in html  # shown masked, "cannot be edited"
    # A forged POST with the fields is ignored for them; the rest is saved.
    post = {"kind": "person", "name": "陈静", "assets_currency": "USD", "assets": "2500000.00", "city": "无锡",
            "phone": "155-1234-4640", "phone_alt": "021-6666 8888",
            "id_number": "310101198807050019", "id_type": "passport", "birthday": "1990-01-01"}
    response = client.post(url, post)
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert _stored(rich) == ORIGINAL and rich.city == "无锡"


def test_the_edit_form_of_service_leaves_assets_alone(client_for, service_a, rich):
    post = {"kind": "person", "name": "陈静", "city": "无锡", "phone": "155-1234-4640", "phone_alt": "021-6666 8888"}
    response = client_for(service_a).post(f"/customers/{rich.pk}/edit/", post)
    assert response.status_code == 302
    assert _stored(rich) == ORIGINAL


# --- Contacts: a role that sees contacts' phones masked --------------------------------------------

@pytest.fixture
def service_masks_phones(monkeypatch):
    """No role that may change contacts sees phones masked today; the rule is the registry's, so
    it is checked for a matrix where service does."""
    monkeypatch.setitem(MASKED, Role.SERVICE, MASKED[Role.SERVICE] | {Sensitive.PHONES})


def test_contact_phone_seen_masked_is_not_written(service_masks_phones, api_service, client_for, service_a, rich):
    contact = services.contact_create(actor=service_a, customer_id=rich.pk,
                                      data={"name": "王芳", "phone": "13700001111"})
    body = api_service.get(f"/contacts/{contact.pk}").json()
    assert body["phone"] == "137****1111"
    response = api_service.patch(f"/contacts/{contact.pk}", {"phone": body["phone"], "title": "CFO"})
    assert response.status_code == 200, response.content
    contact.refresh_from_db()
    assert (contact.phone, contact.title) == ("13700001111", "CFO")
    for value in ("13700002222", "13700001111", ""):
        assert api_service.patch(f"/contacts/{contact.pk}", {"phone": value}).status_code == 403
    assert Contact.objects.get(pk=contact.pk).phone == "13700001111"
    # The contact form leaves the phone out, so a forged POST cannot set it.
    client = client_for(service_a)
    assert 'name="phone"' not in client.get(f"/customers/contacts/{contact.pk}/edit/").content.decode()
    client.post(f"/customers/contacts/{contact.pk}/edit/", {"name": "王芳", "phone": "13799999999"})
    assert Contact.objects.get(pk=contact.pk).phone == "13700001111"
