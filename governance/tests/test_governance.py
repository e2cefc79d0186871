"""Duplicate detection, merge and un-merge: every related record moves and comes back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from audit.models import ObjectChange
from commerce import services as commerce
from commerce.models import CustomerCost, Order
from core.testing import assert_query_baseline
from customers import services as customers
from customers.models import Contact, Customer, CustomerDocument, FamilyMember, OwnershipTransfer
from customers.owned import customer_owned
from governance import selectors, services
from governance.models import CustomerMerge, MatchKey
from interactions.models import Interaction
from interactions.services import interaction_create
from work.models import Task

pytestmark = pytest.mark.django_db


def pairs(user, **kw):
    services.match_keys_refresh()
    return {(c.first.name, c.second.name): c for c in selectors.duplicate_candidates(user=user, **kw)}


def test_keys():
    keys = services.match_keys({"phone": "+86 138-1234-5678", "phone_alt": "12", "email": " A@B.cn ",
                                "name_pinyin": "zhangwei", "city": "北京"})
    assert ("phone", "13812345678") in keys and ("email", "a@b.cn") in keys
    assert ("name", "北京|zhangwei") in keys and ("fuzzy", "北京|zhangwe") in keys
    assert not any(k == "phone" and v == "12" for k, v in keys)


def test_candidates_by_phone_email_and_similar_names(make_customer, manager_a, sales_a):
    make_customer(sales_a, name="张伟", phone="138-1234-5678", city="北京")
    make_customer(sales_a, name="张 伟", phone="+86 13812345678", city="上海")  # same phone
    make_customer(sales_a, name="Li Na", email="LiNa@Example.cn", city="广州")
    make_customer(sales_a, name="李娜", email="lina@example.cn", city="深圳")  # same e-mail
    make_customer(sales_a, name="章伟", city="北京")  # same pinyin as 张伟, same city
    make_customer(sales_a, name="张维", city="上海")  # zhangwei in Shanghai: same name as 张 伟
    make_customer(sales_a, name="张文", city="北京")  # zhangwen: one letter from zhangwei
    make_customer(sales_a, name="王芳", city="北京")  # nothing in common
    found = pairs(manager_a)
    assert found[("张伟", "张 伟")].reasons == ["phone"] and found[("张伟", "张 伟")].score == 60
    assert found[("Li Na", "李娜")].reasons == ["email"]
    assert found[("张伟", "章伟")].reasons == ["name"] and found[("张伟", "章伟")].score == 40
    assert found[("张伟", "张文")].reasons == ["fuzzy"] and found[("张伟", "张文")].score == 25
    assert found[("张 伟", "张维")].score == 40
    assert not any("王芳" in pair for pair in found)
    assert list(found.values())[0].score >= list(found.values())[-1].score
    assert set(pairs(manager_a, min_score=50)) == {("张伟", "张 伟"), ("Li Na", "李娜")}


def test_candidates_are_scoped_and_dismissable(make_customer, manager_a, sales_a, sales_b, admin_user):
    a = make_customer(sales_a, name="张伟", phone="13812345678")
    b = make_customer(sales_b, name="张伟伟", phone="13812345678")
    assert not pairs(manager_a)  # the other customer is another team's
    assert set(pairs(admin_user)) == {("张伟", "张伟伟")}
    services.not_duplicate_mark(actor=admin_user, first_id=b.pk, second_id=a.pk)
    assert not pairs(admin_user)


def test_keys_follow_changes(make_customer, manager_a, sales_a):
    a = make_customer(sales_a, name="甲", phone="13812345678")
    make_customer(sales_a, name="乙", phone="13900000000")
    assert not pairs(manager_a)
    customers.customer_update(actor=sales_a, customer_id=a.pk, data={"phone": "139-0000-0000"})
    assert set(pairs(manager_a)) == {("甲", "乙")}
    customers.customer_delete(actor=manager_a, customer_id=a.pk)
    assert not pairs(manager_a)
    assert not MatchKey.objects.filter(customer_id=a.pk).exists()


@pytest.fixture
def two(make_customer, sales_a, manager_a):
    """Two cards of one person, each with records of every kind."""
    survivor = make_customer(sales_a, name="王小明", phone="13800001111", city="杭州", external_id="S-1")
    merged = make_customer(sales_a, name="王晓明", phone="13800001111", email="wxm@example.cn", city="杭州",
                           occupation="教师", external_id="M-1", kind="person")
    vip, fair = customers.tag_create(actor=sales_a, name="VIP"), customers.tag_create(actor=sales_a, name="展会")
    customers.customers_bulk_add_tag(actor=sales_a, customer_ids=[survivor.pk, merged.pk], tag=vip)
    customers.customers_bulk_add_tag(actor=sales_a, customer_ids=[merged.pk], tag=fair)
    customers.contact_create(actor=sales_a, customer_id=merged.pk, data={"name": "联系人"})
    customers.family_member_create(actor=sales_a, customer_id=merged.pk, data={"name": "妻子", "relation": "spouse"})
    customers.document_upload(actor=sales_a, customer_id=merged.pk,
                              upload=SimpleUploadedFile("a.txt", b"x", content_type="text/plain"))
    customers.customer_transfer_owner(actor=manager_a, customer_id=merged.pk, to_user=manager_a, reason="test")
    product = commerce.product_create(actor=manager_a, data={"code": "A", "name": "基金", "category": "基金",
                                                             "price": Decimal("10"), "unit_cost": Decimal("5")})
    commerce.order_create(actor=manager_a, customer_id=merged.pk, data={},
                          lines=[{"product": product, "quantity": Decimal(1)}])
    commerce.cost_create(actor=manager_a, customer_id=merged.pk, data={"kind": "service", "amount": Decimal("5")})
    interaction_create(actor=manager_a, customer_id=merged.pk, data={"channel": "phone", "subject": "电话"},
                       follow_up={"title": "回访", "due_on": "2030-01-01", "assignee": manager_a})
    # One record of the survivor's own, for contrast.
    customers.contact_create(actor=sales_a, customer_id=survivor.pk, data={"name": "自己的联系人"})
    return Customer.objects.get(pk=survivor.pk), Customer.objects.get(pk=merged.pk)


MODELS = [Contact, FamilyMember, CustomerDocument, OwnershipTransfer, Order, CustomerCost, Interaction, Task]


def _owned_by(customer):
    return {m.__name__: set(m._base_manager.filter(customer=customer).values_list("pk", flat=True)) for m in MODELS}


def test_every_customer_foreign_key_is_known():
    """A model added later with a foreign key to Customer moves with a merge unless it says otherwise."""
    labels = {o.label: o.move for o in customer_owned()}
    for m in MODELS:
        assert labels[f"{m._meta.label_lower}.customer"] is True
    assert labels["governance.matchkey.customer"] is False and labels["customers.customer.merged_into"] is False


def test_merge_moves_everything_and_unmerge_moves_it_back(two, manager_a, admin_user):
    survivor, merged = two
    before_survivor, before_merged = _owned_by(survivor), _owned_by(merged)
    assert all(before_merged[m.__name__] for m in MODELS)
    record = services.customer_merge(actor=manager_a, survivor_id=survivor.pk, merged_id=merged.pk,
                                     take=["email", "occupation", "external_id"])
    survivor.refresh_from_db()
    merged.refresh_from_db()
    # The kept card: chosen fields; the merged one: gone, pointing at the survivor, ids swapped.
    assert survivor.email == "wxm@example.cn" and survivor.occupation == "教师" and survivor.name == "王小明"
    assert survivor.external_id == "M-1" and merged.external_id == "S-1"
    assert merged.deleted_at and merged.merged_into == survivor
    after = _owned_by(survivor)
    for m in MODELS:
        assert after[m.__name__] == before_survivor[m.__name__] | before_merged[m.__name__], m
    assert not any(_owned_by(merged).values())
    assert sorted(survivor.tags.values_list("name", flat=True)) == sorted(["VIP", "展会"])
    assert not merged.tags.exists()
    assert record.merged_before["occupation"] == "教师" and record.survivor_before["email"] == ""
    # Audit: the merged customer's whole before-state; the survivor's changes; each moved record.
    gone = ObjectChange.objects.get(object_type="customers.customer", object_id=merged.pk, action="delete")
    assert gone.changes["occupation"] == ["教师", None] and gone.changes["merged_into"] == [None, survivor.pk]
    kept = ObjectChange.objects.filter(object_type="customers.customer", object_id=survivor.pk,
                                       action="update").latest("id")
    assert kept.changes["email"] == ["", "wxm@example.cn"] and f"#{merged.pk}" in kept.note
    moved_contact = ObjectChange.objects.filter(object_type="customers.contact", action="update").latest("id")
    assert moved_contact.changes == {"customer": [merged.pk, survivor.pk]}
    assert moved_contact.customer_id == survivor.pk
    # A new record of the survivor after the merge stays with it when the merge is undone.
    later = customers.contact_create(actor=manager_a, customer_id=survivor.pk, data={"name": "新联系人"})

    with pytest.raises(PermissionDenied):
        services.customer_unmerge(actor=manager_a, merge_id=record.pk)
    services.customer_unmerge(actor=admin_user, merge_id=record.pk)
    survivor.refresh_from_db()
    merged.refresh_from_db()
    assert merged.deleted_at is None and merged.merged_into is None
    assert survivor.email == "" and survivor.occupation == "" and survivor.external_id == "S-1"
    assert merged.external_id == "M-1" and merged.occupation == "教师"
    assert _owned_by(merged) == before_merged
    now_survivor = _owned_by(survivor)
    assert now_survivor["Contact"] == before_survivor["Contact"] | {later.pk}
    assert {k: v for k, v in now_survivor.items() if k != "Contact"} == {
        k: v for k, v in before_survivor.items() if k != "Contact"}
    assert sorted(merged.tags.values_list("name", flat=True)) == sorted(["VIP", "展会"])
    assert list(survivor.tags.values_list("name", flat=True)) == ["VIP"]
    assert CustomerMerge.objects.get().undone_by == admin_user
    with pytest.raises(ValidationError):
        services.customer_unmerge(actor=admin_user, merge_id=record.pk)


def test_unmerge_keeps_fields_changed_since(two, manager_a, admin_user):
    survivor, merged = two
    record = services.customer_merge(actor=manager_a, survivor_id=survivor.pk, merged_id=merged.pk,
                                     take=["email", "occupation"])
    customers.customer_update(actor=manager_a, customer_id=survivor.pk, data={"occupation": "校长"})
    result = services.customer_unmerge(actor=admin_user, merge_id=record.pk)
    survivor.refresh_from_db()
    assert survivor.occupation == "校长" and survivor.email == ""
    assert result.kept_fields == ["occupation"]


def test_merge_permissions_and_rules(two, sales_a, manager_a, sales_b):
    survivor, merged = two
    with pytest.raises(PermissionDenied):  # sales may not delete, so may not merge
        services.customer_merge(actor=sales_a, survivor_id=survivor.pk, merged_id=merged.pk)
    with pytest.raises(ValidationError):
        services.customer_merge(actor=manager_a, survivor_id=survivor.pk, merged_id=survivor.pk)
    with pytest.raises(ValidationError):
        services.customer_merge(actor=manager_a, survivor_id=survivor.pk, merged_id=merged.pk, take=["owner"])
    services.customer_merge(actor=manager_a, survivor_id=survivor.pk, merged_id=merged.pk)
    with pytest.raises(PermissionDenied):  # already merged: out of reach
        services.customer_merge(actor=manager_a, survivor_id=survivor.pk, merged_id=merged.pk)
    with translation.override("en"), pytest.raises(ValidationError, match="undo the merge"):
        customers.customer_restore(actor=manager_a.__class__.objects.create_superuser("root", "r@x.cn", "pw-123456789"),
                                   customer_id=merged.pk)


def test_merge_may_not_choose_a_value_the_actor_sees_masked(two, manager_a, monkeypatch):
    """A merge writes the fields it takes: one the actor sees masked (core.masking) is not the actor's
    to choose. No role that may merge masks anything today, so a matrix where managers do is used."""
    from accounts.roles import MASKED, Role, Sensitive

    monkeypatch.setitem(MASKED, Role.MANAGER, frozenset({Sensitive.ID_NUMBER}))
    survivor, merged = two
    for field in ("id_number", "id_type", "birthday"):
        with pytest.raises(PermissionDenied):
            services.customer_merge(actor=manager_a, survivor_id=survivor.pk, merged_id=merged.pk, take=[field])
    services.customer_merge(actor=manager_a, survivor_id=survivor.pk, merged_id=merged.pk, take=["email"])


def test_orders_of_a_merged_customer_reach_the_survivor_by_import(two, manager_a, tmp_path):
    from dataio.services import import_file

    survivor, merged = two
    services.customer_merge(actor=manager_a, survivor_id=survivor.pk, merged_id=merged.pk)
    rows = [["订单号", "客户编号", "下单日期", "产品编号", "数量"], ["N1", "M-1", "2025-01-01", "A", "1"]]
    with translation.override("en"):
        path = tmp_path / "o.csv"
        path.write_text("\n".join(",".join(r) for r in rows), encoding="utf-8")
        job = import_file(actor=manager_a, kind="orders", path=path)
    assert job.status == "done", job.report
    assert Order.objects.get(external_id="N1").customer_id == survivor.pk


def test_pages(client_for, two, manager_a, admin_user, sales_a):
    survivor, merged = two
    client = client_for(manager_a)
    page = client.get(reverse("governance:duplicate_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "王晓明" in page and reverse("governance:merge", args=[survivor.pk, merged.pk]) in page
    assert_query_baseline("governance.duplicates.list", lambda: client.get(reverse("governance:duplicate_list")))
    url = reverse("governance:merge", args=[survivor.pk, merged.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="field_email" value="merged" checked' in page  # the empty side takes the other's value
    assert "Orders: 1" in page or "orders: 1" in page.lower()
    response = client.post(url, {"field_email": "merged", "field_name": "survivor", "field_occupation": "survivor"})
    assert response.status_code == 302
    survivor.refresh_from_db()
    assert survivor.email == "wxm@example.cn" and survivor.occupation == ""
    assert client_for(sales_a).get(reverse("governance:duplicate_list")).status_code == 403
    admin = client_for(admin_user)
    merges = assert_query_baseline("governance.merges.list",
                                   lambda: admin.get(reverse("governance:merge_list"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Undo" in merges.content.decode()
    record = CustomerMerge.objects.get()
    assert client_for(manager_a).post(reverse("governance:unmerge", args=[record.pk])).status_code == 403
    response = client_for(admin_user).post(reverse("governance:unmerge", args=[record.pk]))
    assert response["Location"] == reverse("customers:customer_detail", args=[merged.pk])
    assert Customer.objects.get(pk=merged.pk).deleted_at is None


def test_stale_cards_follow_the_configured_period(client_for, sales_a, customer_a, settings):
    """D1 freshness: cards not verified within KEHU_STALE_AFTER_DAYS show on the owner's home page,
    and "verified" is one click, recorded in the audit trail."""
    from datetime import timedelta

    from django.utils import timezone

    Customer.objects.filter(pk=customer_a.pk).update(last_verified_at=timezone.now() - timedelta(days=40))
    client = client_for(sales_a)
    settings.KEHU_STALE_AFTER_DAYS = 30
    assert [c.pk for c in client.get(reverse("home")).context["stale"]] == [customer_a.pk]
    settings.KEHU_STALE_AFTER_DAYS = 60
    assert client.get(reverse("home")).context["stale"] == []
    settings.KEHU_STALE_AFTER_DAYS = 30
    response = client.post(reverse("customers:customer_verify", args=[customer_a.pk]), {"next": reverse("home")})
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).context["stale"] == []
    change = ObjectChange.objects.filter(object_id=customer_a.pk, action="verify").get()
    assert change.user == sales_a
