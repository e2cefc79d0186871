"""The asset reviews' masking walk (core.masking's contract: the registering domain walks its own
fields): a review with distinctive amounts, read by every role through every door that shows a
review — the reviews page, the review page, the print sheet, the XLSX, the card (profile panel,
timeline, history), the API list and read, the access log and audit trail — in both languages. A role
that sees assets masked (accounts.roles.MASKED) finds no piece of any amount; the others find them."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.test import Client
from django.utils import timezone

from accounts.roles import CAPABILITIES, Cap, Sensitive
from core import masking
from wealth.models import FxRate, Holding
from wealth.services_reviews import review_start

pytestmark = pytest.mark.django_db

ROLES = ["admin_user", "manager_a", "sales_a", "service_a", "analyst"]
# Each registered field of the reviews and the digits of its planted value (with and without the
# thousands separator): 7,391,026.55 CNY deposit, 81,234.50 USD (× 7 = 568,641.50 CNY), a 2,467,913.10
# loan; totals 7,959,668.05 assets, 2,467,913.10 liabilities, 5,491,754.95 net worth.
PIECES = {
    ("wealth.assetreviewline", "amount"): ("7391026", "7,391,026", "81234", "81,234", "2467913"),
    ("wealth.assetreviewline", "converted_amount"): ("568641", "568,641"),
    ("wealth.assetreview", "assets"): ("7959668", "7,959,668"),
    ("wealth.assetreview", "liabilities"): ("2467913", "2,467,913"),
    ("wealth.assetreview", "net_worth"): ("5491754", "5,491,754"),
}


def test_every_registered_review_field_is_walked():
    registered = {(e.model, e.field) for e in masking.entries() if e.model.startswith("wealth.assetreview")}
    assert registered == set(PIECES)


@pytest.fixture
def review(customer_a, sales_a):
    FxRate.objects.create(base="USD", quote="CNY", rate=D("7"), valid_from=timezone.localdate() - timedelta(days=400))
    for cls, amount, currency in (("deposit", "7391026.55", "CNY"), ("fund", "81234.50", "USD"),
                                  ("loan", "2467913.10", "CNY")):
        Holding.objects.create(customer=customer_a, asset_class=cls, product_name=f"产品 {cls}", amount=D(amount),
                               currency=currency, risk_level="R3")
    review_start(actor=sales_a, customer_id=customer_a.pk, reviewed_on=timezone.localdate() - timedelta(days=30))
    return review_start(actor=sales_a, customer_id=customer_a.pk, notes="讨论了配置")


def _xlsx_text(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        return " ".join(book.read(name).decode() for name in book.namelist() if name.endswith(".xml"))


def _surfaces(user, review) -> dict[str, str]:
    web = Client()
    web.force_login(user)
    out: dict[str, str] = {}
    pk, cid = review.pk, review.customer_id

    def get(key: str, url: str, **params: str) -> None:
        for language in ("zh-hans", "en"):
            response = web.get(url, params, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, (key, response.status_code)
            body = response.content
            out[f"{key} [{language}]"] = _xlsx_text(body) if url.endswith(".xlsx") else body.decode("unicode_escape")

    get("reviews page", f"/wealth/customers/{cid}/reviews/")
    get("review page", f"/wealth/reviews/{pk}/")
    get("print sheet", f"/wealth/reviews/{pk}/sheet/")
    get("xlsx", f"/wealth/reviews/{pk}/sheet.xlsx")
    get("card panels", f"/customers/{cid}/", part="panels")
    for tab in ("timeline", "history"):
        get(f"card {tab}", f"/customers/{cid}/", tab=tab)
    get("api list", f"/api/v1/customers/{cid}/reviews")
    get("api read", f"/api/v1/reviews/{pk}")
    if Cap.AUDIT in CAPABILITIES[user.effective_role]:
        get("audit trail", "/audit/")
        get("access log", "/audit/access/")
    return out


@pytest.mark.parametrize("role", ROLES)
def test_review_amounts_are_masked_for_roles_that_mask_assets(request, role, review):
    user = request.getfixturevalue(role)
    surfaces = _surfaces(user, review)
    masked = user.masks(Sensitive.ASSETS)
    shown = {(key, piece) for key, text in surfaces.items() for pieces in PIECES.values() for piece in pieces
             if piece in text}
    if masked:
        assert shown == set()
    else:
        # The figures reach the roles that see assets: the walk reads the right pages.
        seen = {piece for _key, piece in shown}
        assert {"7,959,668", "5,491,754", "7,391,026"} <= seen
