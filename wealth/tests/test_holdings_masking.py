"""The holdings' masking walk (D12): a holding's amount is an asset, so every role that sees the
customer's assets masked (accounts.roles.MASKED) sees no piece of any holding amount, nor of the
totals computed from them, on any surface — the card's Wealth and History tabs, the edit form, the
home page's maturities, the API (holdings, a customer's wealth), the exports (CSV, XLSX), the audit
trail — and may not write one. The control: the roles that see assets do find the values there."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from accounts.roles import CAPABILITIES, MASKED, Cap, Sensitive
from core import masking
from customers.tests.test_api import ApiClient
from wealth import services_holdings as services
from wealth.models import Holding

pytestmark = pytest.mark.django_db

ROLES = ["admin_user", "manager_a", "sales_a", "service_a", "analyst"]
# 8,264,917.35 USD at 7 = 57,854,421.45 CNY; the loan 5,173,920.00; net worth 52,680,501.45; the
# amount before its last change 8,100,333.00.
PIECES = ("8264917", "8,264,917", "57854421", "57,854,421", "5173920", "5,173,920", "52680501", "52,680,501",
          "8100333", "8,100,333")


def test_holding_amounts_are_registered_with_the_assets():
    entry = masking.entry(Holding, "amount")
    assert entry is not None and entry.group == Sensitive.ASSETS


def _xlsx_text(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        return "".join(book.read(name).decode() for name in book.namelist() if name.endswith(".xml"))


@pytest.fixture
def planted(make_customer, sales_a, service_a, make_rate, make_holding):
    """Two customers of team A (one owned by the sales rep, one by the service rep: the home page is
    the owner's), each with a fund in USD maturing soon and a loan."""
    make_rate("USD", "CNY", "7")
    out = []
    for owner in (sales_a, service_a):
        customer = make_customer(owner, name=f"富豪{owner.username}", kind="person")
        fund = make_holding(customer, actor=sales_a, asset_class="fund", product_name="全球精选基金",
                            amount=Decimal("8100333.00"), currency="USD",
                            matures_on=timezone.localdate() + timedelta(days=10))
        services.holding_update(actor=sales_a, holding_id=fund.pk, data={"amount": Decimal("8264917.35")})
        make_holding(customer, actor=sales_a, asset_class="loan", product_name="住房按揭", amount=Decimal("5173920.00"),
                     currency="CNY")
        out.append((customer, fund))
    return out


def _surfaces(user, customer, fund) -> dict[str, str]:
    web = Client()
    web.force_login(user)
    api = ApiClient(user)
    can = CAPABILITIES[user.effective_role]
    out: dict[str, str] = {}

    def page(key: str, url: str, **params: str) -> None:
        for language in ("zh-hans", "en"):
            response = web.get(url, params, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, (key, response.status_code)
            out[f"{key} [{language}]"] = response.content.decode()

    page("card wealth", f"/customers/{customer.pk}/", tab="wealth")
    page("card history", f"/customers/{customer.pk}/", tab="history")
    page("home", "/")
    if Cap.CHANGE in can:
        page("edit form", f"/wealth/holdings/{fund.pk}/edit/")
    if Cap.AUDIT in can:
        page("audit trail", "/audit/")
    for key, path in (("api list", "/holdings"), ("api holding", f"/holdings/{fund.pk}"),
                      ("api wealth", f"/customers/{customer.pk}/wealth")):
        response = api.get(path)
        assert response.status_code == 200, (key, response.content)
        out[key] = response.content.decode()
    if Cap.EXPORT in can:
        for fmt in ("csv", "xlsx"):
            response = web.get("/data/export/holdings/", {"format": fmt, "customer": customer.pk})
            assert response.status_code == 200, fmt
            body = b"".join(response.streaming_content) if response.streaming else response.content
            out[f"export {fmt}"] = _xlsx_text(body) if fmt == "xlsx" else body.decode("utf-8-sig")
    return out


@pytest.mark.parametrize("role", ROLES)
def test_no_surface_shows_a_masked_amount(request, role, planted):
    user = request.getfixturevalue(role)
    customer, fund = planted[1] if role == "service_a" else planted[0]
    surfaces = _surfaces(user, customer, fund)
    found = {(surface, piece) for surface, text in surfaces.items() for piece in PIECES if piece in text}
    if Sensitive.ASSETS in MASKED[user.effective_role]:
        assert not found, f"{role} sees masked amounts: {sorted(found)}"
        # The walk reached the holdings: their names are there, masked amounts in their place.
        assert "全球精选基金" in surfaces["card wealth [en]"] and masking.AMOUNT_MASK in surfaces["card wealth [en]"]
        assert "全球精选基金" in surfaces["home [en]"]
        assert '"amount": "******"' in surfaces["api holding"] or '"amount":"******"' in surfaces["api holding"]
    else:
        # The control: the values are real and reach the surfaces.
        shown = {piece for _surface, piece in found}
        assert {"8,264,917", "57,854,421", "52,680,501"} <= shown, (role, sorted(found))
        assert "8264917.35" in surfaces["api holding"] and "57854421.45" in surfaces["api wealth"]


def test_a_role_that_sees_assets_masked_may_not_write_an_amount(planted, service_a):
    customer, fund = planted[1]
    with pytest.raises(PermissionDenied):
        services.holding_update(actor=service_a, holding_id=fund.pk, data={"amount": Decimal("1")})
    with pytest.raises(PermissionDenied):
        services.holding_create(actor=service_a, customer_id=customer.pk, data={
            "asset_class": "fund", "product_name": "X", "amount": Decimal("1")})
    # The mask sent back means "unchanged"; other fields may change.
    services.holding_update(actor=service_a, holding_id=fund.pk, data={"amount": masking.AMOUNT_MASK,
                                                                       "notes": "客户来电"})
    fund.refresh_from_db()
    assert fund.amount == Decimal("8264917.35") and fund.notes == "客户来电"
    # Through the API: the masked read PATCHed back changes nothing it may not change.
    api = ApiClient(service_a)
    assert api.patch(f"/holdings/{fund.pk}", {"amount": "12.00"}).status_code == 403
