"""The address of a customer merged into another leads to the one it was merged into (issue 12)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from governance import services

pytestmark = pytest.mark.django_db


def card(pk: int) -> str:
    return reverse("customers:customer_detail", args=[pk])


def test_merged_customer_redirects_to_the_survivor(client_for, manager_a, sales_b, make_customer):
    survivor = make_customer(manager_a, name="王小明")
    merged = make_customer(manager_a, name="王小明（旧）")
    later = make_customer(manager_a, name="王小明（新）")
    services.customer_merge(actor=manager_a, survivor_id=survivor.pk, merged_id=merged.pk)
    client = client_for(manager_a)
    response = client.get(card(merged.pk) + "?tab=history")
    assert response.status_code == 302
    assert response["Location"] == card(survivor.pk) + "?tab=history"
    # merged again: old links follow both merges
    services.customer_merge(actor=manager_a, survivor_id=later.pk, merged_id=survivor.pk)
    assert client.get(card(merged.pk))["Location"] == card(later.pk)
    # a reader who may not see the survivor gets the plain 404, learning nothing
    assert client_for(sales_b).get(card(merged.pk)).status_code == 404


def test_deleted_customer_is_not_redirected(client_for, manager_a, make_customer):
    from customers import services as customers

    gone = make_customer(manager_a, name="已删除")
    customers.customer_delete(actor=manager_a, customer_id=gone.pk)
    assert client_for(manager_a).get(card(gone.pk)).status_code == 404
