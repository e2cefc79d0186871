"""The REST API for customers, contacts, family members and tags: CRUD, scoping (404 outside
scope), permissions (403), masking, audit rows with source "api", validation errors, cursor
pagination, query counts, and the OpenAPI document and docs page."""

import re
import typing

import pytest
from django.test import Client

from accounts.services import token_create
from audit.models import AccessLog, ObjectChange
from core.testing import assert_query_baseline
from customers import services
from customers.api import ContactIn, CustomerOut, CustomerUpdateIn, FamilyMemberIn
from customers.models import Contact, Customer, FamilyMember, OwnershipTransfer, Tag

API = "/api/v1"


class ApiClient:
    """A test client that sends a user's bearer token and JSON bodies."""

    def __init__(self, user, language="en"):
        _, secret = token_create(user=user, name="tests")
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT_LANGUAGE": language}

    def get(self, path, **params):
        return self.client.get(API + path, params, **self.headers)

    def _send(self, method, path, data):
        return getattr(self.client, method)(API + path, data, content_type="application/json", **self.headers)

    def post(self, path, data=None):
        return self._send("post", path, data if data is not None else {})

    def put(self, path, data):
        return self._send("put", path, data)

    def patch(self, path, data):
        return self._send("patch", path, data)

    def delete(self, path):
        return self.client.delete(API + path, **self.headers)


@pytest.fixture
def api():
    return ApiClient


@pytest.fixture
def contact_a(customer_a, sales_a):
    return services.contact_create(actor=sales_a, customer_id=customer_a.pk,
                                   data={"name": "王芳", "phone": "13700001111", "title": "CFO"})


@pytest.fixture
def family_a(customer_a, sales_a):
    return services.family_member_create(actor=sales_a, customer_id=customer_a.pk,
                                         data={"name": "张小伟", "relation": "child", "age": 8})


def last_change(**filters):
    return ObjectChange.objects.filter(**filters).order_by("-id").first()


# --- Customers: CRUD ------------------------------------------------------------------------------

def test_create_customer(api, sales_a):
    vip = Tag.objects.create(name="VIP")
    response = api(sales_a).post("/customers", {
        "name": "陈静", "kind": "person", "phone": "138 0000 1234", "city": "杭州", "tags": [vip.pk],
        "birthday": "1985-04-01", "risk_preference": "balanced", "assets": "1500000.50",
        "id_number": "330102198504011231",
    })
    assert response.status_code == 201, response.content
    body = response.json()
    customer = Customer.objects.get(pk=body["id"])
    assert customer.name == "陈静" and customer.owner == sales_a and customer.team == sales_a.team
    assert customer.name_initials == "cj"  # search keys computed by the service
    assert [t["name"] for t in body["tags"]] == ["VIP"]
    assert body["owner"] == {"id": sales_a.pk, "username": "sales_a", "name": "sales_a"}
    assert body["team"]["name"] == "Team A"
    assert body["assets"] == "1500000.50"
    # Sales may not see ID numbers (nor the birthday, which the number holds): the answer to their
    # own write is masked too.
    assert body["id_number"] == "**************1231" and body["birthday"] == "****-**-**"
    assert customer.id_number == "330102198504011231" and str(customer.birthday) == "1985-04-01"
    change = last_change(object_type="customers.customer", object_id=customer.pk)
    assert change.action == "create" and change.source == "api" and change.user == sales_a


def test_create_for_another_owner(api, manager_a, sales_a, sales_b):
    response = api(manager_a).post("/customers", {"name": "周强", "owner": sales_a.pk})
    assert response.status_code == 201, response.content
    assert Customer.objects.get(pk=response.json()["id"]).owner == sales_a
    # A manager cannot give a customer to another team's user; sales cannot give one away at all.
    response = api(manager_a).post("/customers", {"name": "周强", "owner": sales_b.pk})
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == ["body", "owner"]
    response = api(sales_a).post("/customers", {"name": "周强", "owner": manager_a.pk})
    assert response.status_code in (400, 403)
    assert Customer.objects.filter(name="周强").count() == 1


def test_read_customer_writes_a_view_row(api, sales_a, customer_a, contact_a, family_a):
    response = api(sales_a).get(f"/customers/{customer_a.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "张伟"
    assert body["phone"] == "138-1234-5678"  # sales sees phones
    assert body["id_number"] == "**************1233"  # but not ID numbers
    assert [c["name"] for c in body["contacts"]] == ["王芳"]
    assert [f["name"] for f in body["family_members"]] == ["张小伟"]
    assert body["can_change"] is True and body["can_delete"] is False
    view = AccessLog.objects.get(customer_id=customer_a.pk)
    assert view.action == "view" and view.source == "api" and view.user == sales_a


def test_patch_customer(api, sales_a, customer_a):
    response = api(sales_a).patch(f"/customers/{customer_a.pk}", {"city": "天津", "special_notes": "prefers WeChat"})
    assert response.status_code == 200, response.content
    assert response.json()["city"] == "天津"
    assert response.json()["id_number"] == "**************1233"
    customer_a.refresh_from_db()
    assert customer_a.city == "天津"
    assert customer_a.phone == "138-1234-5678"  # untouched
    change = last_change(object_type="customers.customer", object_id=customer_a.pk, action="update")
    assert change.source == "api" and change.user == sales_a
    assert change.changes["city"] == ["北京", "天津"]


def test_patch_can_clear_nullable_fields_but_not_null_text(api, sales_a, manager_a, make_customer):
    customer = make_customer(sales_a, name="赵敏", birthday="1990-01-02")
    client = api(manager_a)  # sales may not see (so not change) birthdays
    assert client.patch(f"/customers/{customer.pk}", {"birthday": None}).status_code == 200
    customer.refresh_from_db()
    assert customer.birthday is None
    response = client.patch(f"/customers/{customer.pk}", {"city": None})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "city"]


def test_patch_tags(api, sales_a, customer_a):
    vip, fair = Tag.objects.create(name="VIP"), Tag.objects.create(name="展会2026")
    client = api(sales_a)
    response = client.patch(f"/customers/{customer_a.pk}", {"tags": [vip.pk, fair.pk]})
    assert response.status_code == 200
    assert sorted(t["name"] for t in response.json()["tags"]) == ["VIP", "展会2026"]
    assert client.patch(f"/customers/{customer_a.pk}", {"city": "天津"}).json()["tags"] != []  # left alone
    response = client.patch(f"/customers/{customer_a.pk}", {"tags": [999999]})
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == ["body", "tags"]


def test_put_replaces_the_card(api, sales_a, customer_a):
    response = api(sales_a).put(f"/customers/{customer_a.pk}", {"name": "张伟", "kind": "person", "city": "深圳"})
    assert response.status_code == 200, response.content
    customer_a.refresh_from_db()
    assert customer_a.city == "深圳"
    assert customer_a.phone == ""  # not sent: emptied
    assert customer_a.email == ""
    # PUT without the required name is a schema error.
    response = api(sales_a).put(f"/customers/{customer_a.pk}", {"city": "深圳"})
    assert response.status_code == 422
    assert ["body", "name"] in [e["loc"] for e in response.json()["detail"]]


def test_delete_customer(api, manager_a, customer_a):
    client = api(manager_a)
    assert client.delete(f"/customers/{customer_a.pk}").status_code == 204
    customer_a.refresh_from_db()
    assert customer_a.deleted_at is not None  # soft
    assert client.get(f"/customers/{customer_a.pk}").status_code == 404
    change = last_change(object_type="customers.customer", object_id=customer_a.pk, action="delete")
    assert change.source == "api" and change.user == manager_a


def test_sales_may_not_delete(api, sales_a, customer_a):
    response = api(sales_a).delete(f"/customers/{customer_a.pk}")
    assert response.status_code == 403
    assert isinstance(response.json()["detail"], str)
    customer_a.refresh_from_db()
    assert customer_a.deleted_at is None


def test_transfer(api, manager_a, make_user, team_a, customer_a):
    colleague = make_user("sales", team_a, username="colleague")
    client = api(manager_a)
    response = client.post(f"/customers/{customer_a.pk}/transfer", {"to_user": colleague.pk, "reason": "leave"})
    assert response.status_code == 200, response.content
    assert response.json()["to_user"] == colleague.pk
    customer_a.refresh_from_db()
    assert customer_a.owner == colleague
    transfer = OwnershipTransfer.objects.get(customer=customer_a)
    assert transfer.reason == "leave" and transfer.actor == manager_a
    assert last_change(object_id=customer_a.pk, action="transfer").source == "api"
    # To the owner it already has: a 400, not a crash.
    response = client.post(f"/customers/{customer_a.pk}/transfer", {"to_user": colleague.pk, "reason": "again"})
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == ["body", "to_user"]
    # Without a reason: 422 on reason.
    response = client.post(f"/customers/{customer_a.pk}/transfer", {"to_user": manager_a.pk, "reason": ""})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "reason"]


def test_sales_may_not_transfer(api, sales_a, make_user, team_a, customer_a):
    colleague = make_user("sales", team_a)
    response = api(sales_a).post(f"/customers/{customer_a.pk}/transfer", {"to_user": colleague.pk, "reason": "x"})
    assert response.status_code == 403
    customer_a.refresh_from_db()
    assert customer_a.owner == sales_a


# --- Scoping: another team's customer does not exist for you ---------------------------------------

def test_other_team_gets_404_everywhere(api, sales_b, sales_a, customer_a, contact_a, family_a):
    client = api(sales_b)
    cid = customer_a.pk
    responses = {
        "get": client.get(f"/customers/{cid}"),
        "put": client.put(f"/customers/{cid}", {"name": "hacked"}),
        "patch": client.patch(f"/customers/{cid}", {"name": "hacked"}),
        "delete": client.delete(f"/customers/{cid}"),
        "transfer": client.post(f"/customers/{cid}/transfer", {"to_user": sales_b.pk, "reason": "mine now"}),
        "contacts": client.get(f"/customers/{cid}/contacts"),
        "contact_add": client.post(f"/customers/{cid}/contacts", {"name": "spy"}),
        "contact": client.get(f"/contacts/{contact_a.pk}"),
        "contact_patch": client.patch(f"/contacts/{contact_a.pk}", {"name": "x"}),
        "contact_delete": client.delete(f"/contacts/{contact_a.pk}"),
        "family": client.get(f"/customers/{cid}/family-members"),
        "family_add": client.post(f"/customers/{cid}/family-members", {"name": "x", "relation": "child"}),
        "member": client.get(f"/family-members/{family_a.pk}"),
        "member_patch": client.patch(f"/family-members/{family_a.pk}", {"name": "x"}),
        "member_delete": client.delete(f"/family-members/{family_a.pk}"),
    }
    assert {k: r.status_code for k, r in responses.items()} == dict.fromkeys(responses, 404)
    # Exactly the answer a missing id gets: nothing reveals that the customer exists.
    missing = client.get("/customers/99999999")
    assert responses["get"].json() == missing.json()
    customer_a.refresh_from_db()
    contact_a.refresh_from_db()
    family_a.refresh_from_db()
    assert customer_a.name == "张伟" and customer_a.owner == sales_a and customer_a.deleted_at is None
    assert contact_a.name == "王芳" and contact_a.deleted_at is None
    assert family_a.name == "张小伟" and family_a.deleted_at is None
    assert not Contact.objects.filter(name="spy").exists()
    assert not AccessLog.objects.filter(customer_id=cid).exists()
    assert not ObjectChange.objects.filter(user=sales_b).exclude(object_type="accounts.apitoken").exists()


def test_list_and_search_stay_in_scope(api, sales_b, customer_a, customer_b):
    client = api(sales_b)
    ids = [c["id"] for c in client.get("/customers").json()["items"]]
    assert ids == [customer_b.pk]
    for q in ["张伟", "张", "zhangwei", "zw", "1381234", "zhangwei@example.cn"]:
        assert client.get("/customers", q=q).json()["items"] == [], q
    assert client.get("/customers", owner=customer_a.owner_id).json()["items"] == []
    assert client.get("/customers", team=customer_a.team_id).json()["items"] == []


def test_search_finds_own_customers(api, sales_a, customer_a):
    client = api(sales_a)
    for q in ["张伟", "zhangwei", "zw", "1381234"]:
        assert [c["id"] for c in client.get("/customers", q=q).json()["items"]] == [customer_a.pk], q


def test_list_filters(api, admin_user, make_customer, sales_a, sales_b):
    org = make_customer(sales_a, name="Acme", kind="organisation", industry="制造", city="苏州",
                        risk_preference="growth", source_channel="event")
    make_customer(sales_b, name="Other", kind="person", city="苏州")
    vip = Tag.objects.create(name="VIP")
    org.tags.add(vip)
    client = api(admin_user)

    def names(**params):
        response = client.get("/customers", **params)
        assert response.status_code == 200, response.content
        return [c["name"] for c in response.json()["items"]]

    assert names(kind="organisation") == ["Acme"]
    assert names(city="苏州") == ["Acme", "Other"]
    assert names(industry="制造") == ["Acme"]
    assert names(risk_preference="growth") == ["Acme"]
    assert names(source_channel="event") == ["Acme"]
    assert names(tag=vip.pk) == ["Acme"]
    assert names(owner=sales_b.pk) == ["Other"]
    assert names(team=sales_a.team_id, city="苏州") == ["Acme"]
    assert names(sort="-name", city="苏州") == ["Other", "Acme"]
    response = client.get("/customers", kind="alien")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "kind"]


# --- Roles: analysts read (masked), never write --------------------------------------------------

def test_analyst_reads_masked_and_cannot_write(api, analyst, customer_a, customer_b, contact_a, family_a):
    client = api(analyst)
    items = client.get("/customers").json()["items"]
    assert {c["id"] for c in items} == {customer_a.pk, customer_b.pk}
    row = next(c for c in items if c["id"] == customer_a.pk)
    assert row["phone"] == "138****5678"
    assert row["id_number"] == "**************1233"
    card = client.get(f"/customers/{customer_a.pk}").json()
    assert card["phone"] == "138****5678"
    assert card["contacts"][0]["phone"] == "137****1111"
    assert client.get(f"/contacts/{contact_a.pk}").json()["phone"] == "137****1111"
    assert client.get(f"/customers/{customer_a.pk}/contacts").json()[0]["phone"] == "137****1111"
    assert card["can_change"] is False

    writes = {
        "create": client.post("/customers", {"name": "新客户"}),
        "put": client.put(f"/customers/{customer_a.pk}", {"name": "x"}),
        "patch": client.patch(f"/customers/{customer_a.pk}", {"city": "x"}),
        "delete": client.delete(f"/customers/{customer_a.pk}"),
        "contact_add": client.post(f"/customers/{customer_a.pk}/contacts", {"name": "x"}),
        "contact_patch": client.patch(f"/contacts/{contact_a.pk}", {"name": "x"}),
        "contact_delete": client.delete(f"/contacts/{contact_a.pk}"),
        "family_add": client.post(f"/customers/{customer_a.pk}/family-members", {"name": "x", "relation": "child"}),
        "member_patch": client.patch(f"/family-members/{family_a.pk}", {"name": "x"}),
        "member_delete": client.delete(f"/family-members/{family_a.pk}"),
        "tag_add": client.post("/tags", {"name": "x"}),
    }
    assert {k: r.status_code for k, r in writes.items()} == dict.fromkeys(writes, 403)
    customer_a.refresh_from_db()
    assert customer_a.city == "北京" and customer_a.deleted_at is None
    assert not ObjectChange.objects.filter(user=analyst).exclude(object_type="accounts.apitoken").exists()


def test_service_role_does_not_see_assets(api, service_a, make_customer, sales_a):
    customer = make_customer(sales_a, name="钱多多", assets="9000000.00")
    row = api(service_a).get(f"/customers/{customer.pk}").json()
    assert row["assets"] == "******"
    response = api(service_a).patch(f"/customers/{customer.pk}", {"city": "成都"})
    assert response.status_code == 200
    assert response.json()["assets"] == "******"
    customer.refresh_from_db()
    assert str(customer.assets) == "9000000.00"  # masking never reaches the database


# --- Contacts and family members -----------------------------------------------------------------

def test_contact_crud(api, sales_a, customer_a):
    client = api(sales_a)
    response = client.post(f"/customers/{customer_a.pk}/contacts", {
        "name": "李雷", "title": "采购经理", "is_key_person": True,
        "score_trust": 4, "score_influence": 5, "score_contact": 3, "score_attitude": 4,
        "score_rapport": 2, "score_support": 3,
    })
    assert response.status_code == 201, response.content
    contact = response.json()
    assert contact["relationship_score"] == 21
    assert contact["customer_id"] == customer_a.pk
    cid = contact["id"]
    assert last_change(object_type="customers.contact", object_id=cid).source == "api"

    assert [c["id"] for c in client.get(f"/customers/{customer_a.pk}/contacts").json()] == [cid]
    response = client.patch(f"/contacts/{cid}", {"title": "总经理", "score_trust": 5})
    assert response.status_code == 200
    assert response.json()["title"] == "总经理" and response.json()["relationship_score"] == 22
    change = last_change(object_type="customers.contact", object_id=cid, action="update")
    assert change.changes["title"] == ["采购经理", "总经理"] and change.source == "api"

    response = client.patch(f"/contacts/{cid}", {"score_trust": 6})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "score_trust"]

    assert client.delete(f"/contacts/{cid}").status_code == 204
    assert client.get(f"/contacts/{cid}").status_code == 404
    assert client.get(f"/customers/{customer_a.pk}/contacts").json() == []
    assert Contact.objects.get(pk=cid).deleted_at is not None


def test_family_member_crud(api, sales_a, customer_a):
    client = api(sales_a)
    response = client.post(f"/customers/{customer_a.pk}/family-members",
                           {"name": "刘丽", "relation": "spouse", "age": 40, "school_or_work": "北京协和医院"})
    assert response.status_code == 201, response.content
    fid = response.json()["id"]
    assert last_change(object_type="customers.familymember", object_id=fid).source == "api"
    assert [f["id"] for f in client.get(f"/customers/{customer_a.pk}/family-members").json()] == [fid]
    assert client.get(f"/family-members/{fid}").json()["relation"] == "spouse"
    response = client.patch(f"/family-members/{fid}", {"age": 41})
    assert response.status_code == 200 and response.json()["age"] == 41
    response = client.patch(f"/family-members/{fid}", {"relation": "cousin"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "relation"]
    assert client.delete(f"/family-members/{fid}").status_code == 204
    assert client.get(f"/family-members/{fid}").status_code == 404
    assert FamilyMember.objects.get(pk=fid).deleted_at is not None


# --- Tags ----------------------------------------------------------------------------------------

def test_tag_crud(api, sales_a, manager_a, customer_a):
    client = api(sales_a)
    response = client.post("/tags", {"name": "VIP"})
    assert response.status_code == 201, response.content
    tid = response.json()["id"]
    assert last_change(object_type="customers.tag", object_id=tid).source == "api"
    response = client.post("/tags", {"name": "VIP"})
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == ["body", "name"]
    assert [t["name"] for t in client.get("/tags").json()] == ["VIP"]
    response = client.patch(f"/tags/{tid}", {"name": "贵宾"})
    assert response.status_code == 200 and response.json()["name"] == "贵宾"
    assert client.patch("/tags/999999", {"name": "x"}).status_code == 404
    assert client.delete(f"/tags/{tid}").status_code == 403  # touches every team: managers only
    assert api(manager_a).delete(f"/tags/{tid}").status_code == 204
    assert not Tag.objects.filter(pk=tid).exists()


# --- Validation errors ---------------------------------------------------------------------------

def test_schema_errors_name_the_field(api, sales_a):
    client = api(sales_a)
    response = client.post("/customers", {"name": "x" * 201})
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "name"] and error["type"] == "string_too_long"
    assert "200" in error["msg"]

    response = client.post("/customers", {"name": "ok", "favourite_colour": "blue"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "favourite_colour"]
    assert response.json()["detail"][0]["type"] == "extra_forbidden"

    response = client.post("/customers", {"name": "ok", "kind": "alien", "birthday": "not a date"})
    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["detail"]} == {("body", "kind"), ("body", "birthday")}
    assert not Customer.objects.exists()


def test_rule_errors_are_400_with_the_field(api, sales_a):
    response = api(sales_a).post("/customers", {"name": "ok", "email": "not-an-email"})
    assert response.status_code == 400
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "email"]
    assert error["msg"] and error["type"]
    assert not Customer.objects.exists()


def test_unique_external_id_is_400(api, sales_a):
    client = api(sales_a)
    assert client.post("/customers", {"name": "a", "external_id": "X-1"}).status_code == 201
    response = client.post("/customers", {"name": "b", "external_id": "X-1"})
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == ["body", "external_id"]
    # Empty external ids do not collide.
    assert client.post("/customers", {"name": "c", "external_id": ""}).status_code == 201
    assert client.post("/customers", {"name": "d", "external_id": ""}).status_code == 201


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '"text"', ""])
def test_malformed_bodies_are_4xx(api, sales_a, body):
    client = api(sales_a)
    response = client.client.post(API + "/customers", body, content_type="application/json", **client.headers)
    assert 400 <= response.status_code < 500, response.content
    assert "detail" in response.json()


def test_messages_follow_the_language(api, sales_a):
    zh = api(sales_a, language="zh-hans").post("/customers", {})
    en = api(sales_a, language="en").post("/customers", {})
    assert zh.json()["detail"][0]["msg"] == "这个字段是必填项。"
    assert en.json()["detail"][0]["msg"] == "This field is required."
    assert zh["Content-Language"] == "zh-hans"


def test_bad_cursor_is_400(api, sales_a, customer_a):
    client = api(sales_a)
    for cursor in ["garbage", "eyJ2IjpbMV0sImIiOmZhbHNlfQ"]:
        response = client.get("/customers", cursor=cursor)
        assert response.status_code == 400, cursor
        assert response.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_cursor_of_another_sort_is_400(api, sales_a, make_customer):
    for i in range(3):
        make_customer(sales_a, name=f"客户{i}")
    client = api(sales_a)
    cursor = client.get("/customers", limit=1, sort="name").json()["next_cursor"]
    assert client.get("/customers", limit=1, sort="name", cursor=cursor).status_code == 200
    response = client.get("/customers", limit=1, sort="-created", cursor=cursor)
    assert response.status_code == 400


# --- Pagination and query counts -----------------------------------------------------------------

@pytest.mark.parametrize("sort", ["name", "-name", "-created", "city"])
def test_cursor_pagination_walks_every_row(api, sales_a, make_customer, customer_b, sort):
    cities = ["北京", "上海", "广州"]
    expected = {make_customer(sales_a, name=f"客户{i:02d}", city=cities[i % 3]).pk for i in range(23)}
    client = api(sales_a)
    seen, pages, cursor = [], [], None
    while True:
        params = {"limit": 5, "sort": sort, **({"cursor": cursor} if cursor else {})}
        response = client.get("/customers", **params)
        assert response.status_code == 200, response.content
        page = response.json()
        pages.append(page)
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 23
    assert set(seen) == expected
    assert len(pages) == 5
    assert pages[0]["previous_cursor"] is None
    # Going back from the second page gives the first again.
    back = client.get("/customers", limit=5, sort=sort, cursor=pages[1]["previous_cursor"]).json()
    assert [c["id"] for c in back["items"]] == [c["id"] for c in pages[0]["items"]]


def test_list_has_no_n_plus_one(api, admin_user, make_customer, make_user, make_team):
    tags = [Tag.objects.create(name=f"t{i}") for i in range(3)]
    for i in range(30):
        owner = make_user("sales", make_team())
        customer = make_customer(owner, name=f"客户{i:02d}")
        customer.tags.set(tags[: i % 3 + 1])
    client = api(admin_user)
    # token with user and team, page, tags: the same whatever the page size.
    for limit in (30, 3):
        response = assert_query_baseline("api.customers.list", lambda n=limit: client.get("/customers", limit=n))
        assert len(response.json()["items"]) == limit
    assert all(c["owner"]["username"] and c["team"]["name"] and c["tags"] for c in response.json()["items"])
    assert_query_baseline("api.customers.list.tag", lambda: client.get("/customers", limit=3, tag=tags[0].pk))


def test_detail_query_count_is_fixed(api, sales_a, customer_a, contact_a, family_a):
    client = api(sales_a)
    response = assert_query_baseline("api.customers.detail", lambda: client.get(f"/customers/{customer_a.pk}"))
    assert response.status_code == 200


# --- Schemas match the model ---------------------------------------------------------------------

def test_input_schemas_cover_the_editable_fields():
    assert set(CustomerUpdateIn.model_fields) - {"tags"} == set(services.CUSTOMER_EDITABLE_FIELDS) - {
        "last_verified_at"  # set by "mark verified", not by editing
    }
    assert set(ContactIn.model_fields) == set(services.CONTACT_FIELDS)
    assert set(FamilyMemberIn.model_fields) == set(services.FAMILY_FIELDS)
    assert set(CustomerOut.model_fields) >= set(CustomerUpdateIn.model_fields)


@pytest.mark.parametrize("schema,model", [(CustomerUpdateIn, Customer), (ContactIn, Contact),
                                          (FamilyMemberIn, FamilyMember)])
def test_input_lengths_match_the_model(schema, model):
    checked = 0
    for name, info in schema.model_fields.items():
        field = model._meta.get_field(name) if name != "tags" else None
        if field is None or field.choices or field.get_internal_type() != "CharField":
            continue
        # max_length sits on the field, or inside Optional[Annotated[str, ...]].
        metadata = list(info.metadata)
        for arg in typing.get_args(info.annotation):
            for m in getattr(arg, "__metadata__", ()):
                metadata += list(getattr(m, "metadata", [m]))
        limits = [m.max_length for m in metadata if getattr(m, "max_length", None)]
        assert limits == [field.max_length], name
        checked += 1
    assert checked >= 2


# --- OpenAPI and docs ----------------------------------------------------------------------------

def test_openapi_lists_the_paths(client, db):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path in ["/api/v1/customers", "/api/v1/customers/{customer_id}", "/api/v1/customers/{customer_id}/transfer",
                 "/api/v1/customers/{customer_id}/contacts", "/api/v1/contacts/{contact_id}",
                 "/api/v1/customers/{customer_id}/family-members", "/api/v1/family-members/{family_member_id}",
                 "/api/v1/tags", "/api/v1/tags/{tag_id}", "/api/v1/me"]:
        assert path in paths, path
    assert set(paths["/api/v1/customers/{customer_id}"]) == {"get", "put", "patch", "delete"}
    assert set(schema["components"]["securitySchemes"]) >= {"TokenAuth", "SessionAuth"}
    kind = schema["components"]["schemas"]["CustomerCreateIn"]["properties"]["kind"]
    assert set(kind["enum"]) == {"person", "organisation"}


def test_docs_page_uses_only_local_assets(client, db):
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Content-Security-Policy" in response.headers
    assert "script-src 'self'" in response["Content-Security-Policy"]
    for src in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert src.startswith("/"), src
    # No inline script that would run (the settings block is JSON data, not script).
    for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        assert "src=" in attrs or 'type="application/json"' in attrs, attrs
    assert "style=" not in html and "<style" not in html


def test_token_calls_run_as_the_token_user_through_the_api_door(api, sales_a, monkeypatch):
    """ActorMiddleware cannot see a token user (auth happens inside the API), so the API binds the
    actor itself: services and the audit writer see the user and source "api"."""
    from core.actor import current_actor

    seen = []
    real = services.tag_create

    def spy(**kwargs):
        seen.append(current_actor())
        return real(**kwargs)

    monkeypatch.setattr(services, "tag_create", spy)
    assert api(sales_a).post("/tags", {"name": "VIP"}).status_code == 201
    assert seen[0].user == sales_a and seen[0].source == "api"
