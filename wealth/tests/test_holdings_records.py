"""Holdings on the records layer: the standard suite (pages and API: scope, rights, audit, stale
edits, query counts), and the messages a refused holding gets."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from core.testing import logged_in
from customers.records.testing import RecordSuite
from wealth import services_holdings as services
from wealth.views_holdings import HOLDING_PAGES


class TestHoldingRecords(RecordSuite):
    pages = HOLDING_PAGES
    urls = {"add": "wealth:holding_add", "edit": "wealth:holding_edit", "delete": "wealth:holding_delete"}
    api_path = "/holdings"
    record_data = {"asset_class": "fund", "product_name": "沪深300指数基金", "amount": Decimal("50000.00")}
    add_form = {"asset_class": "deposit", "product_name": "三年定期", "held_with_us": "on", "amount": "100000",
                "currency": "CNY", "started_on": "2024-05-01", "matures_on": "2027-05-01", "risk_level": "R1"}
    edit_form = {"asset_class": "deposit", "product_name": "三年定期", "held_with_us": "on", "amount": "120000",
                 "currency": "CNY", "started_on": "2024-05-01", "matures_on": "2027-05-01", "risk_level": "R1"}
    api_create = {"asset_class": "bond", "product_name": "国债2024", "amount": "20000.00", "risk_level": "R2"}
    api_change = {"amount": "21000.00", "notes": "市值更新"}
    queries = {"add": 5, "edit": 5, "delete": 5, "api list": 2, "api detail": 2}


pytestmark = pytest.mark.django_db


def _refused(call, language="en"):
    # The messages are lazy: read them in the language asked for.
    with translation.override(language):
        with pytest.raises(ValidationError) as raised:
            call()
        return {field: [str(m) for m in messages] for field, messages in raised.value.message_dict.items()}


@pytest.mark.parametrize(("language", "institution", "maturity"), [
    ("en", "Name the institution that holds it.", "The maturity cannot be before the start date."),
    ("zh-hans", "请填写持有该资产的机构。", "到期日不能早于起始日。"),
])
def test_a_refused_holding_is_explained_in_the_users_language(customer_a, sales_a, language, institution, maturity):
    data = {"asset_class": "fund", "product_name": "他行基金", "amount": Decimal("10"), "held_with_us": False,
            "started_on": "2025-01-01", "matures_on": "2024-01-01"}
    errors = _refused(lambda: services.holding_create(actor=sales_a, customer_id=customer_a.pk, data=data), language)
    assert errors["institution"] == [institution]
    assert errors["matures_on"] == [maturity]
    assert not customer_a.holdings.exists()


def test_amounts_must_be_positive_and_classes_known(customer_a, sales_a):
    errors = _refused(lambda: services.holding_create(actor=sales_a, customer_id=customer_a.pk, data={
        "asset_class": "crypto", "product_name": "X", "amount": Decimal("-1")}))
    assert set(errors) == {"asset_class", "amount"}
    errors = _refused(lambda: services.holding_create(actor=sales_a, customer_id=customer_a.pk, data={
        "asset_class": "fund", "product_name": "X", "amount": Decimal("1"), "owner": 3}))
    assert errors == {"owner": ["This field cannot be set here."]}


def test_another_teams_user_may_not_write(customer_a, sales_b, make_holding):
    holding = make_holding(customer_a)
    with pytest.raises(PermissionDenied):
        services.holding_create(actor=sales_b, customer_id=customer_a.pk, data={
            "asset_class": "fund", "product_name": "X", "amount": Decimal("1")})
    with pytest.raises(PermissionDenied):
        services.holding_update(actor=sales_b, holding_id=holding.pk, data={"amount": Decimal("2")})
    with pytest.raises(PermissionDenied):
        services.holding_delete(actor=sales_b, holding_id=holding.pk)


def test_the_add_page_shows_the_refusal_next_to_the_field(customer_a, sales_a):
    response = logged_in(sales_a, "en").post(reverse("wealth:holding_add", args=[customer_a.pk]), {
        "asset_class": "fund", "product_name": "他行基金", "amount": "10", "currency": "CNY"})
    assert response.status_code == 200
    assert response.context["form"].errors["institution"] == ["Name the institution that holds it."]

