"""The masking walk: every registered sensitive field (core.masking) × every role × every surface.

A customer and a contact carry a distinctive value in every registered field; each role reads every
surface that shows customers — the card (profile, contacts, timeline and history tabs), the edit
form, the list, the header search (dropdown and page), the API (card, list, search, contacts),
the exports (customers' CSV and XLSX, the data page's export), the audit trail and the home page —
and the test fails on any piece of a value shown to a role that must see it masked
(accounts.roles.MASKED). The pieces are what the mask hides (a phone's middle digits, an ID number's
region and birth date, the birthday's year, the amount's digits), so a mask that reveals fails too.

A field registered later without a planted value here fails test_every_registered_field_is_walked:
a new registration is walked or it is refused. The masking of search is walked too: a role that sees
a field masked finds nothing by a fragment of it (the oracle of issue 13).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from accounts.roles import CAPABILITIES, MASKED, Cap, Sensitive
from core import masking
from customers import services
from customers.tests.test_api import ApiClient

pytestmark = pytest.mark.django_db

ROLES = ["admin_user", "manager_a", "sales_a", "service_a", "analyst"]
NAME = "戴维斯"  # the planted customer's name (found by name on the search surfaces)


@dataclass(frozen=True)
class Planted:
    value: object  # what the field holds
    pieces: tuple[str, ...]  # text that must not reach a role that sees the field masked
    fragment: str = ""  # a search by this part of the value must not find the customer for such a role


# One distinctive value per registered field. The phone_alt is changed once after creation, so the
# history holds a "before" value as well: its pieces are checked too.
PLANTED: dict[tuple[str, str], Planted] = {
    ("customers.customer", "phone"): Planted("155-7319-4640", ("155-7319-4640", "15573194640", "7319"), "557319"),
    ("customers.customer", "phone_alt"): Planted("021-6628 3907", ("021-6628 3907", "02166283907", "6628"), "66283"),
    ("customers.customer", "id_number"): Planted(
        "310101198807059814", ("310101198807059814", "3101", "19880705", "88070598"), "31010119880705"),
    ("customers.customer", "birthday"): Planted(
        date(1988, 7, 5), ("1988-07-05", "1988年7月5日", "July 5, 1988", "1988")),
    ("customers.customer", "assets"): Planted(Decimal("7391026.55"), ("7391026", "7,391,026")),
    ("customers.contact", "phone"): Planted("137-4852-0961", ("137-4852-0961", "13748520961", "4852")),
}
EARLIER_PHONE_ALT = Planted("010-5093 2716", ("010-5093 2716", "01050932716", "5093"))


def test_every_registered_field_is_walked():
    """A field of the customers app registered in core.masking without a planted value here is a field
    nobody walks. The apps above register their own fields and walk them over their own surfaces
    (core.masking's contract; e.g. wealth/tests/test_holdings_masking.py)."""
    registered = {(e.model, e.field) for e in masking.entries() if e.model.startswith("customers.")}
    assert registered <= set(PLANTED), f"walk these too: {sorted(registered - set(PLANTED))}"


@pytest.fixture
def planted(make_customer, sales_a, manager_a):
    """The customer (owned by sales_a of team A: every role of the walk sees it) and its contact,
    written through the services, with a history holding the values."""
    values = {f: p.value for (m, f), p in PLANTED.items() if m == "customers.customer"}
    customer = make_customer(sales_a, name=NAME, kind="person", city="苏州", **{
        **values, "phone_alt": EARLIER_PHONE_ALT.value, "assets_currency": "CNY"})
    services.customer_update(actor=manager_a, customer_id=customer.pk, data={"phone_alt": values["phone_alt"]})
    contact = services.contact_create(actor=sales_a, customer_id=customer.pk, data={
        "name": "联络人", "phone": PLANTED[("customers.contact", "phone")].value})
    return customer, contact


def _xlsx_text(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        return "".join(book.read(name).decode() for name in book.namelist() if name.endswith(".xml"))


def _surfaces(user, customer, contact) -> dict[str, str]:
    """Every surface the user may reach, as the text it sends (pages in Chinese and in English)."""
    web = Client()
    web.force_login(user)
    api = ApiClient(user)
    can = CAPABILITIES[user.effective_role]
    pk = customer.pk
    out: dict[str, str] = {}

    def page(key: str, url: str, **params: str) -> None:
        for language in ("zh-hans", "en"):
            response = web.get(url, params, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, (key, response.status_code)
            out[f"{key} [{language}]"] = response.content.decode()

    for tab in ("profile", "contacts", "timeline", "history"):
        page(f"card {tab}", f"/customers/{pk}/", tab=tab)
    page("list", "/customers/")
    page("list searched", "/customers/", q=NAME)
    page("search page", "/customers/search/", q=NAME)
    out["search dropdown"] = web.get("/customers/search/", {"q": NAME}, HTTP_HX_REQUEST="true").content.decode()
    page("home", "/")
    if Cap.CHANGE in can:
        page("edit form", f"/customers/{pk}/edit/")
        page("contact form", f"/customers/contacts/{contact.pk}/edit/")
    if Cap.AUDIT in can:
        page("audit trail", "/audit/")
        page("access log", "/audit/access/")
    for key, path in (("api card", f"/customers/{pk}"), ("api list", "/customers"), ("api contacts",
                      f"/customers/{pk}/contacts"), ("api contact", f"/contacts/{contact.pk}")):
        response = api.get(path)
        assert response.status_code == 200, (key, response.content)
        out[key] = response.content.decode("unicode_escape")
    out["api search"] = api.get("/customers", q=NAME).content.decode("unicode_escape")
    if Cap.EXPORT in can:
        for fmt in ("csv", "xlsx"):
            for key, url in (("export", "/customers/export/"), ("data export", "/data/export/customers/")):
                response = web.get(url, {"format": fmt})
                assert response.status_code == 200, (key, fmt)
                body = b"".join(response.streaming_content) if response.streaming else response.content
                out[f"{key} {fmt}"] = _xlsx_text(body) if fmt == "xlsx" else body.decode("utf-8-sig")
    return out


def _expected_hidden(user) -> dict[tuple[str, str], list[Planted]]:
    """The planted values this role must not see: the matrix's, not the code under test's."""
    groups = MASKED[user.effective_role]
    hidden = {}
    for e in masking.entries():
        if e.group in groups and (e.model, e.field) in PLANTED:  # other apps' fields: their own walks
            hidden[(e.model, e.field)] = [PLANTED[(e.model, e.field)]]
            if (e.model, e.field) == ("customers.customer", "phone_alt"):
                hidden[(e.model, e.field)].append(EARLIER_PHONE_ALT)
    return hidden


@pytest.mark.parametrize("role", ROLES)
def test_no_surface_shows_a_masked_value(request, role, planted):
    user = request.getfixturevalue(role)
    customer, contact = planted
    surfaces = _surfaces(user, customer, contact)
    leaks = [(surface, field, piece)
             for field, values in _expected_hidden(user).items() for value in values for piece in value.pieces
             for surface, text in surfaces.items() if piece in text]
    assert not leaks, f"{role} sees masked values: {leaks}"
    # The walk reached the customer: its name is on the surfaces that show it.
    for surface in ("card profile [en]", "list searched [en]", "search page [en]", "api card", "api search"):
        assert NAME in surfaces[surface], (role, surface)


@pytest.mark.parametrize("role", ["admin_user", "manager_a"])
def test_roles_that_see_everything_see_the_planted_values(request, role, planted):
    """The control: the planted values are real and reach the surfaces, so "not shown" above means masked."""
    user = request.getfixturevalue(role)
    customer, contact = planted
    surfaces = _surfaces(user, customer, contact)
    for (model, field), value in PLANTED.items():
        surface = "api contact" if model == "customers.contact" else "api card"
        assert value.pieces[0] in surfaces[surface] or str(value.value) in surfaces[surface], (field, surface)
    history = surfaces["card history [en]"]
    assert all(piece in history for piece in ("021-6628 3907", "010-5093 2716", "310101198807059814"))


@pytest.mark.parametrize("role", ROLES)
def test_a_fragment_of_a_masked_value_finds_nothing(request, role, planted):
    """Search as an oracle: a role that sees a field masked finds no customer by a fragment of it —
    on the header search, the list and the API — and by the whole value only where the field's
    registration allows it."""
    user = request.getfixturevalue(role)
    web = Client()
    web.force_login(user)
    api = ApiClient(user)
    customer, _contact = planted
    card = f"/customers/{customer.pk}/"
    for field, values in _expected_hidden(user).items():
        entry = masking.entry(*field)
        value = values[0]
        probes = [value.fragment] if value.fragment else []
        if entry.search == masking.SEARCH_WHOLE:
            whole = str(value.value)
            assert NAME in web.get("/customers/search/", {"q": whole}).content.decode(), (role, field)
        elif isinstance(value.value, str):
            probes.append(value.value)
        for q in probes:
            assert card not in web.get("/customers/search/", {"q": q}).content.decode(), (role, field, q)
            assert card not in web.get("/customers/", {"q": q}).content.decode(), (role, field, q)
            assert api.get("/customers", q=q).json()["items"] == [], (role, field, q)


def test_a_planted_registration_is_masked_everywhere(planted, analyst):
    """The registry is the one declaration: a field registered now is masked on every surface
    without another line (a wealth domain's fields will be). wechat_id is planted in the phones'
    group for this test only."""
    customer, contact = planted
    services.customer_update(actor=customer.owner, customer_id=customer.pk, data={"wechat_id": "wx_8402_davis"})
    masking.register(type(customer), "wechat_id", group=Sensitive.PHONES, mask=masking.mask_amount)
    try:
        assert masking.masks(analyst, customer, "wechat_id")
        surfaces = _surfaces(analyst, customer, contact)
        assert not [s for s, text in surfaces.items() if "8402" in text]
        # Nor found by it: the search reads the registry too.
        assert ApiClient(analyst).get("/customers", q="wx_8402").json()["items"] == []
    finally:
        masking.unregister(type(customer), "wechat_id")
