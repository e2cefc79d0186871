"""No lost update on a customer's card or a contact (issue 14, item 5; core.concurrency, ADR 0009):
two people editing the same card, two API clients writing after their own GET — the second, stale
write is refused with who changed it and when, and nothing is reverted. Writes that send no
version keep today's behaviour: concurrent PATCHes of different fields all apply."""

from __future__ import annotations

import re
import typing
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from accounts.services import token_create
from core.testing import logged_in, posted_values
from customers import services
from customers.api import CustomerPatchIn
from customers.models import Customer

API = "/api/v1"
STALE = re.compile(r"Changed by (?P<user>.+) at .+ — review and save again\.")


class Api:
    """A bearer-token client that can send If-Match."""

    def __init__(self, user: Any, language: str = "en") -> None:
        _, secret = token_create(user=user, name="concurrency")
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT_LANGUAGE": language}

    def get(self, path: str) -> Any:
        return self.client.get(API + path, **self.headers)

    def send(self, method: str, path: str, data: dict, if_match: str | None = None) -> Any:
        headers = dict(self.headers, **({"HTTP_IF_MATCH": if_match} if if_match is not None else {}))
        return getattr(self.client, method)(API + path, data, content_type="application/json", **headers)


def _edit_page(user: Any, customer_id: int, language: str = "en") -> tuple[Client, Any]:
    client = logged_in(user, language)
    page = client.get(reverse("customers:customer_edit", args=[customer_id]))
    assert page.status_code == 200
    return client, page


def _posted(form: Any, **changes: Any) -> dict[str, Any]:
    """What the browser posts back for `form` as shown, with `changes`."""
    return {**posted_values(form), **changes}


# --- The edit form ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_second_of_two_open_edit_forms_is_told_and_reverts_nothing(customer_a, sales_a, manager_a):
    first, first_page = _edit_page(sales_a, customer_a.pk)
    second, second_page = _edit_page(manager_a, customer_a.pk)
    url = reverse("customers:customer_edit", args=[customer_a.pk])

    assert first.post(url, _posted(first_page.context["form"], city="天津")).status_code == 302
    answer = second.post(url, _posted(second_page.context["form"], occupation="律师"))

    assert answer.status_code == 409
    html = answer.content.decode()
    assert (m := STALE.search(html)) and m["user"] == "sales_a", html
    customer = Customer.objects.get(pk=customer_a.pk)
    assert customer.city == "天津" and customer.occupation == ""  # the first change kept, the stale one not saved
    form = answer.context["form"]
    assert form["city"].value() == "天津"  # the saved values are shown…
    # …and what was not saved.
    assert ("occupation", "律师") in [(label.lower(), value) for label, value in form.unsaved]
    assert "律师" in html

    # Saved again from the page that shows the current card: both changes stand.
    assert second.post(url, _posted(form, occupation="律师")).status_code == 302
    customer.refresh_from_db()
    assert (customer.city, customer.occupation) == ("天津", "律师")


@pytest.mark.django_db
def test_the_conflict_is_told_in_the_users_language(customer_a, sales_a, manager_a):
    manager_a.first_name, manager_a.last_name = "敏", "张"
    manager_a.save()
    client, page = _edit_page(sales_a, customer_a.pk, "zh-hans")
    services.customer_update(actor=manager_a, customer_id=customer_a.pk, data={"city": "天津"})
    answer = client.post(reverse("customers:customer_edit", args=[customer_a.pk]),
                         _posted(page.context["form"], city="上海"))
    assert answer.status_code == 409
    assert "张敏" in answer.content.decode() and "请核对后再保存" in answer.content.decode()
    assert Customer.objects.get(pk=customer_a.pk).city == "天津"


@pytest.mark.django_db
def test_a_form_posted_without_a_version_saves_as_before(client_for, customer_a, sales_a):
    """A page opened before this check carries no version: the edit is not checked."""
    services.customer_update(actor=sales_a, customer_id=customer_a.pk, data={"occupation": "教师"})
    answer = client_for(sales_a).post(reverse("customers:customer_edit", args=[customer_a.pk]),
                                      {"kind": "person", "name": "张伟", "assets_currency": "CNY", "city": "天津"})
    assert answer.status_code == 302
    assert Customer.objects.get(pk=customer_a.pk).city == "天津"


# --- The API ------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_second_of_two_api_clients_gets_409_and_reverts_nothing(customer_a, sales_a, manager_a):
    one, two = Api(sales_a), Api(manager_a)
    first, second = one.get(f"/customers/{customer_a.pk}"), two.get(f"/customers/{customer_a.pk}")
    assert first["ETag"] == second["ETag"] and first["ETag"].startswith('"')

    saved = one.send("put", f"/customers/{customer_a.pk}", {"name": "张伟", "city": "天津"}, if_match=first["ETag"])
    assert saved.status_code == 200, saved.json()
    assert saved["ETag"] != first["ETag"]
    stale = two.send("put", f"/customers/{customer_a.pk}", {"name": "张伟", "occupation": "律师"},
                     if_match=second["ETag"])

    assert stale.status_code == 409
    detail = stale.json()["detail"]
    assert (m := STALE.fullmatch(detail)) and m["user"] == "sales_a", detail
    assert stale["ETag"] == saved["ETag"] == two.get(f"/customers/{customer_a.pk}")["ETag"]
    customer = Customer.objects.get(pk=customer_a.pk)
    assert (customer.city, customer.occupation) == ("天津", "")


@pytest.mark.django_db
def test_patch_honours_if_match_and_without_it_works_as_before(customer_a, sales_a):
    api = Api(sales_a)
    path = f"/customers/{customer_a.pk}"
    tag = api.get(path)["ETag"]
    assert api.send("patch", path, {"city": "天津"}).status_code == 200  # no If-Match: not checked
    assert api.send("patch", path, {"city": "上海"}, if_match=tag).status_code == 409
    current = api.get(path)["ETag"]
    assert api.send("patch", path, {"city": "上海"}, if_match=f"W/{current}").status_code == 200
    assert api.send("patch", path, {"occupation": "律师"}, if_match="*").status_code == 200
    assert api.send("patch", path, {"occupation": "教师"}, if_match='"12345"').status_code == 409
    assert Customer.objects.filter(pk=customer_a.pk, city="上海", occupation="律师").exists()


@pytest.mark.django_db
def test_contact_api_honours_if_match(customer_a, sales_a, manager_a):
    contact = services.contact_create(actor=sales_a, customer_id=customer_a.pk, data={"name": "王芳"})
    one, two = Api(sales_a), Api(manager_a)
    tag = two.get(f"/contacts/{contact.pk}")["ETag"]
    assert one.send("patch", f"/contacts/{contact.pk}", {"title": "CFO"}, if_match=tag).status_code == 200
    stale = two.send("patch", f"/contacts/{contact.pk}", {"title": "CEO"}, if_match=tag)
    assert stale.status_code == 409 and STALE.fullmatch(stale.json()["detail"])
    contact.refresh_from_db()
    assert contact.title == "CFO"


@pytest.mark.django_db
def test_family_member_api_honours_if_match(customer_a, sales_a, manager_a):
    member = services.family_member_create(actor=sales_a, customer_id=customer_a.pk,
                                           data={"name": "李娜", "relation": "spouse"})
    one, two = Api(sales_a), Api(manager_a)
    tag = two.get(f"/family-members/{member.pk}")["ETag"]
    saved = one.send("patch", f"/family-members/{member.pk}", {"age": 40}, if_match=tag)
    assert saved.status_code == 200 and saved["ETag"] != tag
    stale = two.send("patch", f"/family-members/{member.pk}", {"age": 41}, if_match=tag)
    assert stale.status_code == 409 and STALE.fullmatch(stale.json()["detail"])
    assert stale["ETag"] == saved["ETag"]
    member.refresh_from_db()
    assert member.age == 40


# --- Concurrent PATCHes of different fields ------------------------------------------------------------

def _patchable_fields() -> list[tuple[str, Any]]:
    """40 fields of the card with a valid value each: free text, then choices."""
    skip = {"name", "kind", "external_id", "phone", "phone_alt", "email", "id_type", "id_number", "assets_currency",
            "tags"}
    texts, choices = [], []
    for number, (name, info) in enumerate(CustomerPatchIn.model_fields.items()):
        if name in skip:
            continue
        if info.annotation is str:
            texts.append((name, f"值{number}"))
        elif typing.get_origin(info.annotation) is typing.Literal:
            choices.append((name, typing.get_args(info.annotation)[-1]))
    fields = (texts + choices)[:40]
    assert len(fields) == 40, fields
    return fields


@pytest.mark.django_db(transaction=True)
def test_forty_concurrent_patches_of_different_fields_without_if_match_lose_nothing(customer_a, sales_a):
    fields = _patchable_fields()
    _, secret = token_create(user=sales_a, name="load")
    path = f"{API}/customers/{customer_a.pk}"

    def patch(item: tuple[str, Any]) -> int:
        try:
            answer = Client().patch(path, {item[0]: item[1]}, content_type="application/json",
                                    HTTP_AUTHORIZATION=f"Bearer {secret}")
            return answer.status_code
        finally:
            connections.close_all()

    if connection.vendor == "postgresql":
        with ThreadPoolExecutor(max_workers=10) as pool:
            statuses = list(pool.map(patch, fields))
    else:  # SQLite in tests: one connection to an in-memory database; the writes run one after another.
        statuses = [patch(item) for item in fields]

    assert statuses == [200] * 40
    customer = Customer.objects.get(pk=customer_a.pk)
    lost = [name for name, value in fields if getattr(customer, name) != value]
    assert lost == [], f"{len(lost)} of 40 lost: {lost}"


@pytest.mark.django_db
def test_a_tag_added_from_the_list_makes_an_open_edit_form_stale(customer_a, sales_a):
    """The form posts the whole tag list: saved over a tag added meanwhile, it would remove it."""
    client, page = _edit_page(sales_a, customer_a.pk)
    tag = services.tag_create(actor=sales_a, name="展会2026")
    services.customers_bulk_add_tag(actor=sales_a, customer_ids=[customer_a.pk], tag=tag)
    answer = client.post(reverse("customers:customer_edit", args=[customer_a.pk]),
                         _posted(page.context["form"], city="天津"))
    assert answer.status_code == 409
    assert list(Customer.objects.get(pk=customer_a.pk).tags.values_list("name", flat=True)) == ["展会2026"]
