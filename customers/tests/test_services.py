import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from audit.models import ObjectChange
from customers import services
from customers.models import Customer, OwnershipTransfer


def test_create_computes_search_keys_and_team(customer_a, sales_a):
    assert customer_a.owner == sales_a
    assert customer_a.team_id == sales_a.team_id
    assert customer_a.name_pinyin == "zhangwei"
    assert customer_a.name_initials == "zw"
    assert "13812345678" in customer_a.phone_digits
    change = ObjectChange.objects.get(object_id=customer_a.pk, action="create")
    assert change.changes["name"] == [None, "张伟"]
    assert change.user == sales_a


def test_update_records_before_and_after(customer_a, sales_a):
    services.customer_update(actor=sales_a, customer_id=customer_a.pk, data={"city": "深圳"})
    change = ObjectChange.objects.filter(object_id=customer_a.pk, action="update").get()
    assert change.changes == {"city": ["北京", "深圳"]}


def test_update_rejects_unknown_and_invalid_fields(customer_a, sales_a):
    with pytest.raises(ValidationError) as exc:
        services.customer_update(actor=sales_a, customer_id=customer_a.pk, data={"owner_id": 1})
    assert "owner_id" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.customer_update(actor=sales_a, customer_id=customer_a.pk, data={"email": "not-an-email"})
    assert "email" in exc.value.message_dict
    customer_a.refresh_from_db()
    assert customer_a.email == "zhangwei@example.cn"


def test_other_team_cannot_update(customer_a, sales_b):
    with pytest.raises(PermissionDenied):
        services.customer_update(actor=sales_b, customer_id=customer_a.pk, data={"city": "X"})


def test_transfer_is_recorded(customer_a, manager_a, sales_b):
    t = services.customer_transfer_owner(actor=manager_a, customer_id=customer_a.pk, to_user=sales_b, reason="离职交接")
    customer_a.refresh_from_db()
    assert customer_a.owner == sales_b and customer_a.team == sales_b.team
    assert t.from_user_id == manager_a.team.members.get(username="sales_a").pk
    assert OwnershipTransfer.objects.get(customer=customer_a).reason == "离职交接"
    assert ObjectChange.objects.filter(customer_id=customer_a.pk, action="transfer").exists()


def test_transfer_needs_reason_and_permission(customer_a, manager_a, sales_a, sales_b):
    with pytest.raises(ValidationError):
        services.customer_transfer_owner(actor=manager_a, customer_id=customer_a.pk, to_user=sales_b, reason=" ")
    with pytest.raises(PermissionDenied):
        services.customer_transfer_owner(actor=sales_a, customer_id=customer_a.pk, to_user=sales_b, reason="x")


def test_read_only_analyst_cannot_be_given_customers(customer_a, admin_user, manager_a, analyst, sales_a):
    from customers.selectors import owners_assignable

    assert analyst not in owners_assignable(admin_user)
    assert {sales_a, manager_a, admin_user} <= set(owners_assignable(admin_user))
    for transfer in (
        lambda: services.customer_transfer_owner(actor=admin_user, customer_id=customer_a.pk, to_user=analyst,
                                                 reason="x"),
        lambda: services.customers_bulk_transfer_owner(actor=admin_user, customer_ids=[customer_a.pk],
                                                       to_user=analyst, reason="x"),
        lambda: services.customer_create(actor=admin_user, owner=analyst, data={"name": "新客户", "kind": "person"}),
    ):
        with pytest.raises(ValidationError) as exc, translation.override("en"):
            transfer()
        assert "read-only role" in str(exc.value)
    customer_a.refresh_from_db()
    assert customer_a.owner == sales_a and not OwnershipTransfer.objects.exists()


def test_tag_names_longer_than_the_column_are_refused_not_cut(sales_a):
    with pytest.raises(ValidationError) as exc, translation.override("en"):
        services.tag_create(actor=sales_a, name="长" * 300)
    assert "at most 50 characters" in str(exc.value) and "has 300" in str(exc.value)
    tag = services.tag_create(actor=sales_a, name="长" * 50)
    with pytest.raises(ValidationError):
        services.tag_rename(actor=sales_a, tag_id=tag.pk, name="短" * 51)


def test_bulk_transfer_is_all_or_nothing(customer_a, customer_b, manager_a, sales_a):
    with pytest.raises(PermissionDenied):
        services.customers_bulk_transfer_owner(
            actor=manager_a, customer_ids=[customer_a.pk, customer_b.pk], to_user=sales_a, reason="x"
        )
    assert not OwnershipTransfer.objects.exists()


def test_soft_delete_and_restore(customer_a, manager_a, admin_user):
    services.customer_delete(actor=manager_a, customer_id=customer_a.pk)
    assert not Customer.objects.restrict(manager_a).filter(pk=customer_a.pk).exists()
    assert Customer.objects.filter(pk=customer_a.pk).exists()  # row kept
    with pytest.raises(PermissionDenied):
        services.customer_restore(actor=manager_a, customer_id=customer_a.pk)
    services.customer_restore(actor=admin_user, customer_id=customer_a.pk)
    assert Customer.objects.restrict(manager_a).filter(pk=customer_a.pk).exists()


def test_analyst_is_read_only(customer_a, analyst):
    assert Customer.objects.restrict(analyst).filter(pk=customer_a.pk).exists()
    with pytest.raises(PermissionDenied):
        services.customer_update(actor=analyst, customer_id=customer_a.pk, data={"city": "X"})
    with pytest.raises(PermissionDenied):
        services.customer_create(actor=analyst, data={"name": "X"})


def test_a_new_card_counts_as_verified_at_creation(customer_a):
    # Just filled in with the customer: not "stale" on the day it is created.
    assert customer_a.last_verified_at is not None
    assert abs(customer_a.last_verified_at - customer_a.created_at).total_seconds() < 5
    assert not customer_a.is_stale()
    assert not Customer.objects.filter(Customer.stale_q(), pk=customer_a.pk).exists()


def test_migration_gives_never_verified_cards_their_creation_time(customer_a, make_customer, sales_a):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("customers.migrations.0007_customer_verified_at_creation")
    verified = make_customer(sales_a)
    Customer.objects.filter(pk=customer_a.pk).update(last_verified_at=None)
    before = Customer.objects.get(pk=verified.pk).last_verified_at
    migration.forwards(apps, None)
    customer_a = Customer.objects.get(pk=customer_a.pk)
    assert customer_a.last_verified_at == customer_a.created_at
    assert Customer.objects.get(pk=verified.pk).last_verified_at == before
