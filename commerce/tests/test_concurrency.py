"""No lost update on an order (issue 14, item 5; core.concurrency): the order form and the API
refuse a write based on an order that changed since it was read — its details, lines or status."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.services import token_create
from commerce import services
from commerce.models import Order
from core.testing import logged_in, posted_values

pytestmark = pytest.mark.django_db

STALE = re.compile(r"Changed by (?P<user>.+) at .+ — review and save again\.")


def _edit_page(user: Any, order_id: int) -> tuple[Client, Any]:
    client = logged_in(user)
    page = client.get(reverse("commerce:order_edit", args=[order_id]))
    assert page.status_code == 200
    return client, page


def _posted(page: Any, **changes: Any) -> dict[str, Any]:
    """What the browser posts back for the order form and its lines as shown, with `changes`."""
    return {**posted_values(page.context["form"], page.context["formset"]), **changes}


def test_the_second_of_two_open_order_forms_is_told_and_reverts_nothing(customer_a, sales_a, manager_a,
                                                                          make_order):
    order = make_order(customer_a)
    first, first_page = _edit_page(sales_a, order.pk)
    second, second_page = _edit_page(manager_a, order.pk)
    url = reverse("commerce:order_edit", args=[order.pk])

    assert first.post(url, _posted(first_page, note="周五送货", **{"lines-0-quantity": "5"})).status_code == 302
    answer = second.post(url, _posted(second_page, region="华南"))

    assert answer.status_code == 409
    html = answer.content.decode()
    assert (m := STALE.search(html)) and m["user"] == "sales_a", html
    order.refresh_from_db()
    assert (order.note, order.region) == ("周五送货", "")
    assert [line.quantity for line in order.lines.all()] == [Decimal("5.000")]  # the lines were not reverted
    assert answer.context["form"]["note"].value() == "周五送货"
    assert answer.context["formset"].forms[0]["quantity"].value() == Decimal("5.000")


def test_a_status_change_makes_an_open_order_form_stale(customer_a, sales_a, make_order):
    order = make_order(customer_a)
    client, page = _edit_page(sales_a, order.pk)
    services.order_set_status(actor=sales_a, order_id=order.pk, status="paid")
    answer = client.post(reverse("commerce:order_edit", args=[order.pk]), _posted(page, note="x"))
    assert answer.status_code == 409
    assert Order.objects.get(pk=order.pk).note == ""


def test_two_api_clients_patching_an_order_the_second_gets_409(customer_a, sales_a, manager_a, make_order):
    order = make_order(customer_a)
    headers = {}
    for user in (sales_a, manager_a):
        _, secret = token_create(user=user, name="concurrency")
        headers[user.pk] = {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT_LANGUAGE": "en"}
    client, path = Client(), f"/api/v1/orders/{order.pk}"
    tags = [client.get(path, **headers[u.pk])["ETag"] for u in (sales_a, manager_a)]
    assert tags[0] == tags[1]

    saved = client.patch(path, {"note": "周五送货"}, content_type="application/json", HTTP_IF_MATCH=tags[0],
                         **headers[sales_a.pk])
    assert saved.status_code == 200 and saved["ETag"] != tags[0]
    stale = client.patch(path, {"note": "改到周一"}, content_type="application/json", HTTP_IF_MATCH=tags[1],
                         **headers[manager_a.pk])
    assert stale.status_code == 409
    assert STALE.fullmatch(stale.json()["detail"]) and stale["ETag"] == saved["ETag"]
    assert Order.objects.get(pk=order.pk).note == "周五送货"
    # Without If-Match the API works as before.
    assert client.patch(path, {"region": "华南"}, content_type="application/json",
                        **headers[manager_a.pk]).status_code == 200
