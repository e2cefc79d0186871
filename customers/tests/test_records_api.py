"""The records layer's API factory on a kind declared here with every operation, PUT included
(mounted on an API of its own): replace sets every field, patch only those sent, lists are keyset
pages with cursors signed for their list, and the error shape is the rest of the API's."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import path
from ninja import Field, NinjaAPI, Router, Schema

from accounts.api import api_auth
from audit.models import ObjectChange
from core.api import bind_actor, cursor_page_schema, install_error_handlers, partial_schema
from core.pagination import keyset_page
from customers import services
from customers.api import FamilyMemberIn, FamilyMemberOut
from customers.models import FamilyMember
from customers.records.api import RecordApi
from customers.records.testing import ApiCaller
from customers.views import FAMILY_MEMBERS

pytestmark = pytest.mark.django_db


class FamilyCreateIn(FamilyMemberIn):
    customer: int


class FamilyFilters(Schema):
    customer: int | None = None
    cursor: str | None = None
    limit: int = Field(2, ge=1, le=50)


def family_list(*, user, filters, cursor=None, size=50):
    qs = FamilyMember.objects.restrict(user, "view")
    if filters.get("customer"):
        qs = qs.filter(customer_id=filters["customer"])
    return keyset_page(qs, ordering=["name", "id"], cursor=cursor, size=size)


router = Router()
RecordApi(
    kind=FAMILY_MEMBERS, path="/relatives", name="relative", module=__name__, tags=["relatives"],
    id_param="relative_id", out=FamilyMemberOut, page=cursor_page_schema(FamilyMemberOut, "RelativePage"),
    filters=FamilyFilters, list_selector=family_list, create_in=FamilyCreateIn,
    patch_in=partial_schema(FamilyMemberIn, "RelativePatchIn"), replace_in=FamilyMemberIn, nullable=("age",),
    summaries={"replace": "Replace a relative"},
).register(router)
api = NinjaAPI(urls_namespace="records-test", auth=api_auth, docs_url=None)
install_error_handlers(api)
api.add_decorator(bind_actor)
api.add_router("/", router)
urlpatterns = [path("api/v1/", api.urls)]


@pytest.fixture(autouse=True)
def _urls():
    with override_settings(ROOT_URLCONF=__name__):
        yield


@pytest.fixture
def relative(sales_a, customer_a):
    return services.family_member_create(actor=sales_a, customer_id=customer_a.pk, data={
        "name": "张小明", "relation": "child", "age": 8, "school_or_work": "实验小学"})


def test_put_replaces_every_field_and_patch_only_those_sent(sales_a, relative):
    api = ApiCaller(sales_a)
    body = api.send("patch", f"/relatives/{relative.pk}", {"age": None}).json()
    assert (body["age"], body["school_or_work"]) == (None, "实验小学")  # null is a value for `age`
    body = api.send("put", f"/relatives/{relative.pk}", {"name": "张小明", "relation": "child"}).json()
    assert (body["age"], body["school_or_work"]) == (None, "")  # left out: the empty value
    assert ObjectChange.objects.filter(object_id=relative.pk, action="update", source="api").count() == 2
    assert api.send("put", f"/relatives/{relative.pk}", {"name": "张小明"}).status_code == 422


def test_put_and_patch_honour_if_match_and_answers_carry_the_etag(sales_a, manager_a, customer_a):
    mine, theirs = ApiCaller(sales_a), ApiCaller(manager_a)
    created = mine.send("post", "/relatives", {"customer": customer_a.pk, "name": "张小明", "relation": "child"})
    item = f"/relatives/{created.json()['id']}"
    tag = created["ETag"]
    assert tag == mine.get(item)["ETag"]
    replaced = theirs.send("put", item, {"name": "张小明", "relation": "child", "age": 9}, if_match=tag)
    assert replaced.status_code == 200 and replaced["ETag"] != tag
    stale = mine.send("put", item, {"name": "张晓明", "relation": "child"}, if_match=tag)
    assert stale.status_code == 409 and stale["ETag"] == replaced["ETag"]
    assert stale.json()["detail"].startswith(f"Changed by {manager_a} at")
    assert FamilyMember.objects.filter(name="张小明", age=9).count() == 1
    assert mine.send("put", item, {"name": "张晓明", "relation": "child"}, if_match="*").status_code == 200
    assert mine.send("patch", item, {"age": 10}, if_match=f'W/{mine.get(item)["ETag"]}').status_code == 200


def test_put_is_scoped_and_refused_like_patch(sales_b, analyst, relative):
    body = {"name": "x", "relation": "child"}
    assert ApiCaller(sales_b).send("put", f"/relatives/{relative.pk}", body).status_code == 404
    assert ApiCaller(analyst).send("put", f"/relatives/{relative.pk}", body).status_code == 403
    assert FamilyMember.objects.get(pk=relative.pk).name == "张小明"


def test_lists_are_keyset_pages_with_signed_cursors(sales_a, sales_b, customer_a, relative):
    for name in ("李一", "李二"):
        services.family_member_create(actor=sales_a, customer_id=customer_a.pk,
                                      data={"name": name, "relation": "child"})
    api = ApiCaller(sales_a)
    first = api.get("/relatives", customer=customer_a.pk).json()
    second = api.get("/relatives", customer=customer_a.pk, cursor=first["next_cursor"]).json()
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and second["next_cursor"] is None
    assert {i["id"] for i in first["items"] + second["items"]} == set(
        FamilyMember.objects.filter(customer=customer_a).values_list("pk", flat=True))
    # A cursor of another list, or a forged one, is a 400 on `cursor`.
    response = api.get("/relatives", cursor=first["next_cursor"] + "x")
    assert response.status_code == 400 and response.json()["detail"][0]["loc"] == ["query", "cursor"]
    assert ApiCaller(sales_b).get("/relatives").json()["items"] == []


def test_refused_data_is_a_400_naming_the_field(sales_a, customer_a):
    api = ApiCaller(sales_a)
    response = api.send("post", "/relatives", {"customer": customer_a.pk, "name": "王", "relation": "child",
                                               "age": 200})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "age"]
    response = api.send("post", "/relatives", {"customer": customer_a.pk + 1000, "name": "王", "relation": "child"})
    assert response.status_code == 400
    assert response.json()["detail"] == [
        {"loc": ["body", "customer"], "msg": "No customer with this id.", "type": "not_found"}]


def test_a_kind_without_write_services_has_no_api():
    from customers.views import DOCUMENTS

    with pytest.raises(ImproperlyConfigured):
        RecordApi(kind=DOCUMENTS, path="/documents", name="document", module=__name__, tags=[], out=FamilyMemberOut,
                  page=Schema, filters=FamilyFilters, list_selector=family_list, create_in=FamilyCreateIn,
                  patch_in=FamilyMemberIn).register(Router())


def test_operations_are_named_for_the_declaring_module():
    schema = api.get_openapi_schema()
    ids = {op["operationId"] for item in schema["paths"].values() for op in item.values()}
    prefix = __name__.replace(".", "_")
    assert ids == {f"{prefix}_relative_{op}" for op in ("list", "create", "detail", "update", "replace", "delete")}
    item = schema["paths"]["/api/v1/relatives/{relative_id}"]
    assert item["put"]["summary"] == "Replace a relative"
    assert [p["name"] for p in item["get"]["parameters"]] == ["relative_id"]
