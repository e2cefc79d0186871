"""Costs to serve on the records layer: the standard suite (pages and API), and an edit of a cost
that carries an external ID (the form now edits the row itself, so its own ID is no duplicate)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from commerce import services
from commerce.models import CustomerCost
from commerce.views import COST_PAGES
from customers.records.testing import RecordSuite


class TestCostRecords(RecordSuite):
    pages = COST_PAGES
    urls = {"add": "commerce:cost_add", "edit": "commerce:cost_edit", "delete": "commerce:cost_delete"}
    api_path = "/costs"
    record_data = {"kind": "service", "amount": Decimal("12.50")}
    add_form = {"kind": "marketing", "incurred_on": "2024-05-01", "amount": "88", "currency": "CNY"}
    edit_form = {"kind": "marketing", "incurred_on": "2024-05-01", "amount": "99", "currency": "CNY"}
    api_create = {"kind": "litigation", "amount": "300.00"}
    api_change = {"amount": "7.00", "description": "律师费"}
    queries = {"add": 6, "edit": 6, "delete": 5, "api list": 2, "api detail": 2}


@pytest.mark.django_db
def test_a_cost_with_an_external_id_can_be_edited(client_for, customer_a, sales_a):
    cost = services.cost_create(actor=sales_a, customer_id=customer_a.pk,
                                data={"kind": "service", "amount": Decimal("10.00"), "external_id": "ERP-7"})
    response = client_for(sales_a).post(reverse("commerce:cost_edit", args=[cost.pk]), {
        "kind": "service", "incurred_on": "2024-05-01", "amount": "12", "currency": "CNY", "external_id": "ERP-7"})
    assert response.status_code == 302, response.context["form"].errors
    assert CustomerCost.objects.get(pk=cost.pk).amount == Decimal("12.00")
