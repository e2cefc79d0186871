"""External IDs are unique per team (ADR 0006), so no door tells a user that another team uses a
number: the answer for "another team has it" is the answer for "nobody has it". Duplicates the user
can see are still refused, with a message naming the field."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.services import user_update
from customers import services
from customers.models import Customer
from customers.tests.test_api import ApiClient

pytestmark = pytest.mark.django_db

TAKEN = "Another customer already has the external ID “%s”."


@pytest.fixture
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def elsewhere(make_customer, sales_b):
    """Team B's customer with the number sales_a will try: out of sales_a's scope."""
    return make_customer(sales_b, name="B 的客户", external_id="EXT-B")


def test_api_create_answers_alike_for_another_teams_number_and_a_free_one(elsewhere, sales_a):
    client = ApiClient(sales_a)
    other = client.post("/customers", {"name": "甲", "external_id": "EXT-B"})
    free = client.post("/customers", {"name": "甲", "external_id": "EXT-FREE"})
    assert other.status_code == free.status_code == 201
    strip = ("id", "external_id", "created_at", "updated_at", "last_verified_at")
    assert ({k: v for k, v in other.json().items() if k not in strip}
            == {k: v for k, v in free.json().items() if k not in strip})
    assert Customer.objects.filter(external_id="EXT-B").count() == 2  # one per team


def test_api_patch_answers_alike(elsewhere, sales_a, make_customer):
    mine, mine2 = make_customer(sales_a, name="甲"), make_customer(sales_a, name="乙")
    client = ApiClient(sales_a)
    other = client.patch(f"/customers/{mine.pk}", {"external_id": "EXT-B"})
    free = client.patch(f"/customers/{mine2.pk}", {"external_id": "EXT-FREE"})
    assert other.status_code == free.status_code == 200


def test_api_refuses_a_number_in_scope_clearly(sales_a, make_customer):
    make_customer(sales_a, name="甲", external_id="EXT-A")
    mine = make_customer(sales_a, name="乙")
    client = ApiClient(sales_a)
    for response in (client.post("/customers", {"name": "丙", "external_id": "EXT-A"}),
                     client.patch(f"/customers/{mine.pk}", {"external_id": "EXT-A"})):
        assert response.status_code == 400
        error = response.json()["detail"][0]
        assert error["loc"] == ["body", "external_id"]
        assert error["msg"] == TAKEN % "EXT-A"


def test_a_teammates_number_is_in_scope(sales_a, make_user, team_a, make_customer):
    colleague = make_user(role="sales", team=team_a)
    make_customer(colleague, name="甲", external_id="EXT-T")
    response = ApiClient(sales_a).post("/customers", {"name": "乙", "external_id": "EXT-T"})
    assert response.status_code == 400


def test_form_create_and_edit_answer_alike(en, client_for, elsewhere, sales_a, sales_b, make_customer):
    client = client_for(sales_a)
    add = reverse("customers:customer_add")
    card = {"kind": "person", "name": "陈静", "assets_currency": "CNY"}
    other = client.post(add, {**card, "external_id": "EXT-B"})
    free = client.post(add, {**card, "external_id": "EXT-FREE"})
    assert other.status_code == free.status_code == 302
    mine = make_customer(sales_a, name="丁")
    edit = reverse("customers:customer_edit", args=[mine.pk])
    assert client.post(edit, {**card, "external_id": "EXT-B2"}).status_code == 302
    make_customer(sales_b, name="B2", external_id="EXT-B3")
    assert client.post(edit, {**card, "external_id": "EXT-B3"}).status_code == 302


def test_form_refuses_a_number_in_scope_next_to_the_field(en, client_for, sales_a, make_customer):
    make_customer(sales_a, name="甲", external_id="EXT-A")
    response = client_for(sales_a).post(reverse("customers:customer_add"),
                                        {"kind": "person", "name": "乙", "assets_currency": "CNY",
                                         "external_id": "EXT-A"})
    assert response.status_code == 200
    assert response.context["form"].errors["external_id"] == [TAKEN % "EXT-A"]


def test_an_administrator_sees_every_team_and_may_not_duplicate(admin_user, sales_a, elsewhere):
    with pytest.raises(ValidationError) as exc:
        services.customer_create(actor=admin_user, owner=sales_a, data={"name": "甲", "external_id": "EXT-B"})
    assert exc.value.message_dict == {"external_id": [TAKEN % "EXT-B"]}


def test_the_database_holds_one_number_per_team(elsewhere, sales_a, sales_b):
    Customer.objects.create(name="甲", owner=sales_a, team_id=sales_a.team_id, external_id="EXT-B")
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(name="乙", owner=sales_b, team_id=sales_b.team_id, external_id="EXT-B")


def test_a_transfer_does_not_bring_two_numbers_together(admin_user, elsewhere, sales_a, make_customer):
    make_customer(sales_a, name="甲", external_id="EXT-B")
    with pytest.raises(ValidationError) as exc:
        services.customer_transfer_owner(actor=admin_user, customer_id=elsewhere.pk, to_user=sales_a, reason="r")
    assert "EXT-B" in exc.value.message_dict["to_user"][0]
    elsewhere.refresh_from_db()
    assert elsewhere.owner_id != sales_a.pk


def test_moving_a_user_to_a_team_with_the_same_number_is_refused(admin_user, elsewhere, sales_a, make_customer):
    make_customer(sales_a, name="甲", external_id="EXT-B")
    with pytest.raises(ValidationError) as exc:
        user_update(actor=admin_user, user_id=elsewhere.owner_id, data={"team": sales_a.team_id})
    assert "EXT-B" in exc.value.message_dict["team"][0]
