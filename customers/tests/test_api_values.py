"""The API's customer card and list are read as plain values from compiled SQL and rendered without
schema validation: their answers must be byte for byte what the schemas make of the model path
(the plain-ORM reference reads customer_card / customer_list, customers/tests/reference.py), for
every role (scope, masking, permissions), and the compiled SQL must never carry one user's scope to
another."""

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from ninja.responses import NinjaJSONEncoder

from accounts.models import User
from audit.models import AccessLog
from core import compiled
from core.testing import assert_query_baseline
from customers import selectors, services
from customers.api import CUSTOMER_COLUMNS, CustomerDetailOut, CustomerPage
from customers.models import Customer, Tag
from customers.tests import reference
from customers.tests.test_api import ApiClient

ROLES = ["admin_user", "manager_a", "sales_a", "service_a", "analyst"]


class _CardView:
    """The card as the schema read it before: the customer's attributes plus the card's lists."""

    def __init__(self, card: selectors.CustomerCard) -> None:
        self._card = card

    def __getattr__(self, name: str) -> Any:
        if name in ("contacts", "family_members", "can_change", "can_delete", "can_transfer"):
            return getattr(self._card, name)
        return getattr(self._card.customer, name)


def _rendered(schema: Any, obj: Any) -> bytes:
    """What ninja answers for `obj` validated by `schema` (validate, dump, encode)."""
    return json.dumps(schema.model_validate(obj).model_dump(), cls=NinjaJSONEncoder).encode()


@pytest.fixture(autouse=True)
def _fresh_shapes(fresh_compiled_shapes):  # noqa: ANN001, ANN202
    """Every test starts with no compiled shape."""


@pytest.fixture
def full_card(customer_a, sales_a, manager_a):
    """A card with every kind of value: tags, a rated key person, family, dates, assets, an owner
    with a Chinese name (family name first)."""
    User.objects.filter(pk=sales_a.pk).update(first_name="敏", last_name="张")
    for name in ("VIP", "老客户", "A-tier"):
        Tag.objects.create(name=name)
    # By the manager: sales may not see, so not change, the birthday.
    services.customer_update(actor=manager_a, customer_id=customer_a.pk, data={
        "birthday": date(1985, 4, 1), "assets": Decimal("1500000.50"), "phone_alt": "010-8888 6666",
        "relationship_since": date(2019, 1, 2), "risk_preference": "balanced", "external_id": "X-1",
    }, tags=list(Tag.objects.all()))
    Customer.objects.filter(pk=customer_a.pk).update(last_verified_at=timezone.now().replace(microsecond=0))
    scores = {f"score_{k}": 4 for k in ("trust", "influence", "contact", "attitude", "rapport", "support")}
    services.contact_create(actor=sales_a, customer_id=customer_a.pk,
                            data={"name": "王芳", "phone": "13700001111", "is_key_person": True, **scores})
    services.contact_create(actor=sales_a, customer_id=customer_a.pk, data={"name": "李雷", "score_trust": 2})
    services.family_member_create(actor=sales_a, customer_id=customer_a.pk,
                                  data={"name": "张小伟", "relation": "child", "age": 8})
    services.family_member_create(actor=sales_a, customer_id=customer_a.pk,
                                  data={"name": "刘丽", "relation": "spouse"})
    return customer_a


@pytest.mark.parametrize("role", ROLES)
def test_card_answer_is_the_schemas_answer(request, role, full_card):
    user = request.getfixturevalue(role)
    expected = _rendered(CustomerDetailOut, _CardView(reference.customer_card(user=user, customer_id=full_card.pk)))
    client = ApiClient(user)
    for _ in range(2):  # compiling, then from the compiled SQL
        response = client.get(f"/customers/{full_card.pk}")
        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert response.content == expected
    body = response.json()
    assert len(body["contacts"]) == 2 and len(body["family_members"]) == 2 and len(body["tags"]) == 3


def test_card_masks_for_the_role(api_users, full_card):
    analyst = api_users["analyst"].get(f"/customers/{full_card.pk}").json()
    assert analyst["phone"] == "138****5678" and analyst["id_number"] == "**************1233"
    assert analyst["contacts"][0]["phone"] == "137****1111"
    assert analyst["assets"] == "1500000.50"
    service = api_users["service_a"].get(f"/customers/{full_card.pk}").json()
    assert service["assets"] == "******"
    admin = api_users["admin_user"].get(f"/customers/{full_card.pk}").json()
    assert admin["phone"] == "138-1234-5678" and admin["id_number"] == "110101199003071233"
    assert admin["contacts"][0]["relationship_score"] == 24 and admin["contacts"][1]["relationship_score"] is None
    assert admin["can_change"] and admin["can_delete"] and admin["can_transfer"]
    assert admin["owner"]["name"] == "张敏" and admin["team"]["name"] == "Team A"


@pytest.fixture
def api():
    return ApiClient


@pytest.fixture
def api_users(request):
    return {role: ApiClient(request.getfixturevalue(role)) for role in ROLES}


def test_compiled_card_keeps_each_users_scope(api, sales_a, sales_b, customer_a, customer_b, make_user):
    """Two users of the same role share the card's SQL; each still sees only their own scope, and a
    user without a team (another scope shape) gets SQL of their own."""
    loner = make_user("sales")
    own = selectors.customer_card_values(user=loner, customer_id=Customer.objects.create(
        name="独立客户", owner=loner, kind="person").pk, fields=CUSTOMER_COLUMNS)
    assert own.customer["name"] == "独立客户"
    a, b = api(sales_a), api(sales_b)
    assert a.get(f"/customers/{customer_a.pk}").status_code == 200
    assert b.get(f"/customers/{customer_a.pk}").status_code == 404
    assert b.get(f"/customers/{customer_b.pk}").status_code == 200
    assert a.get(f"/customers/{customer_b.pk}").status_code == 404
    for user, customer in ((loner, customer_a), (loner, customer_b)):
        with pytest.raises(Customer.DoesNotExist):
            selectors.customer_card_values(user=user, customer_id=customer.pk, fields=CUSTOMER_COLUMNS)
    # The card's own query (its key is the repr of ("customers.card", fields, …)), not its
    # contacts, family or tags.
    keys = [k for k in compiled._shapes if str(k[2][0]).startswith("('customers.card',")]
    assert len(keys) == 2  # sales with a team (shared by a and b), sales without one
    assert all(compiled._shapes[k] is not None for k in keys)


def test_card_of_deleted_or_missing_customer_is_404(api, manager_a, customer_a):
    client = api(manager_a)
    assert client.get(f"/customers/{customer_a.pk}").status_code == 200
    services.customer_delete(actor=manager_a, customer_id=customer_a.pk)
    assert client.get(f"/customers/{customer_a.pk}").status_code == 404
    assert client.get("/customers/999999").status_code == 404
    assert not AccessLog.objects.filter(customer_id=999999).exists()


def test_card_read_writes_one_audit_row(api, sales_a, full_card):
    before = AccessLog.objects.count()
    api(sales_a).get(f"/customers/{full_card.pk}")
    api(sales_a).get(f"/customers/{full_card.pk}")
    rows = list(AccessLog.objects.order_by("id"))[before:]
    assert [(r.user_id, r.action, r.source, r.customer_id, r.object_repr, r.detail) for r in rows] == [
        (sales_a.pk, "view", "api", full_card.pk, "张伟", {})] * 2
    assert rows[0].ip == "127.0.0.1" and rows[0].at <= timezone.now()


def test_card_read_query_count(api, sales_a, full_card):
    client = api(sales_a)
    # token with user and team, customer with owner/team/permissions, tags, contacts, family, audit row;
    # on PostgreSQL the four reads of the card go to the server as one statement list
    response = assert_query_baseline("api.customers.detail.full", lambda: client.get(f"/customers/{full_card.pk}"))
    assert response.status_code == 200


# --- The list ------------------------------------------------------------------------------------

@pytest.fixture
def many(make_customer, sales_a, sales_b, manager_a):
    tags = [Tag.objects.create(name=n) for n in ("VIP", "老客户", "A-tier")]
    rows = []
    for i in range(14):
        owner = (sales_a, sales_b, manager_a)[i % 3]
        c = make_customer(owner, name=f"客户{i:02d}", city=("北京", "上海")[i % 2], phone=f"138{i:08d}",
                          id_number=f"11010119900307{i:04d}", id_type="other",
                          assets=Decimal(f"{i}000.5") if i % 4 else None,
                          birthday=date(1980, 1, i + 1) if i % 3 else None, industry="制造" if i % 5 else "")
        c.tags.set(tags[: i % 4])
        rows.append(c)
    return rows


def _old_page(user: Any, filters: dict[str, Any], sort: str, cursor: str | None, size: int) -> bytes:
    from django.db.models import prefetch_related_objects

    from core.api import cursor_sign

    page = reference.customer_list(user=user, filters=filters, sort=sort, cursor=cursor, size=size)
    prefetch_related_objects(page.items, "tags")
    return _rendered(CustomerPage, {
        "items": page.items, "next_cursor": cursor_sign(page.next_cursor, sort),
        "previous_cursor": cursor_sign(page.previous_cursor, sort),
    })


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("params", "filters"), [
    ({}, {}),
    ({"city": "上海"}, {"city": "上海"}),
    ({"sort": "-created"}, {}),
    ({"sort": "city", "industry": "制造"}, {"industry": "制造"}),
    ({"q": "客户0"}, {"q": "客户0"}),
])
def test_list_pages_are_the_schemas_pages(request, role, many, params, filters):
    from core.api import cursor_unsign

    user = request.getfixturevalue(role)
    client = ApiClient(user)
    sort = params.get("sort", "name")
    cursor = None
    for _ in range(4):  # forward through the pages, then one page back
        query = {**params, "limit": 4, **({"cursor": cursor} if cursor else {})}
        response = client.get("/customers", **query)
        assert response.status_code == 200, response.content
        assert response.content == _old_page(user, filters, sort, cursor_unsign(cursor, sort), 4)
        body = response.json()
        cursor = body["next_cursor"] or body["previous_cursor"]
        if cursor is None:
            break
    if body["previous_cursor"]:
        back = client.get("/customers", **{**params, "limit": 4, "cursor": body["previous_cursor"]})
        assert back.content == _old_page(user, filters, sort, cursor_unsign(body["previous_cursor"], sort), 4)


def test_list_reads_in_three_queries(api, admin_user, many):
    client = api(admin_user)
    # token, the cities the typed city stands for (two index seeks in one query), page (with owner
    # and team), tags of the page
    items = assert_query_baseline("api.customers.list.city",
                                  lambda: client.get("/customers", limit=50, city="上海")).json()["items"]
    assert len(items) == 7 and any(c["tags"] for c in items)


def test_compiled_list_keeps_each_users_scope(api, sales_a, sales_b, manager_a, many, make_user):
    """One page shape, compiled for the first caller, answers every later caller in their own scope."""
    loner = make_user("sales")
    Customer.objects.create(name="独立客户", owner=loner, kind="person", city="上海")
    for user in (sales_a, sales_b, manager_a, loner, sales_a):
        names = [c["name"] for c in api(user).get("/customers", city="上海", limit=50).json()["items"]]
        expected = list(Customer.objects.restrict(user).filter(city="上海").order_by("name_pinyin", "id")
                        .values_list("name", flat=True))
        assert names == expected and names
    page_keys = [k for k in compiled._shapes if "customers.page" in repr(k[2])]
    assert len(page_keys) == 2 and all(compiled._shapes[k] is not None for k in page_keys)  # team / no team
