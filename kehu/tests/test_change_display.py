"""How changes read on the home page, the card's History tab and the audit trail (audit.presentation):
labels, names for ids, local dates, yes/no, masking and scope — in the reader's language, whatever the
language of the page the change was made on."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.roles import MASKED, Role, Sensitive
from audit.models import ObjectChange
from audit.presentation import present_changes
from commerce import services as commerce
from core.testing import assert_query_baseline
from customers import services as customers

HOME = reverse("home")
AUDIT = reverse("audit:change_list")
ROLES = ["sales_a", "manager_a", "service_a", "admin_user", "analyst"]


def _history(customer_id: int) -> str:
    return reverse("customers:customer_detail", args=[customer_id]) + "?tab=history"


@pytest.fixture
def product(manager_a):
    return commerce.product_create(actor=manager_a, data={
        "code": "MMF-A", "name": "货币基金A", "category": "基金", "price": Decimal("19.99"),
        "unit_cost": Decimal("7.35")})


@pytest.fixture
def order(customer_a, sales_a, product):
    """An order with one line, made as the card's "new order" makes it (issue 12, items 1 and 2)."""
    with translation.override("zh-hans"):
        return commerce.order_create(actor=sales_a, customer_id=customer_a.pk, data={"channel": "branch"},
                                     lines=[{"product": product, "quantity": Decimal("1")}])


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("role", ROLES)
def test_an_order_with_lines_does_not_break_home_or_history(request, client_for, customer_a, order, role, language):
    user = request.getfixturevalue(role)
    client = client_for(user)
    headers = {"Accept-Language": language}
    home = client.get(HOME, headers=headers)
    assert home.status_code == 200
    lines_label = "订单明细" if language == "zh-hans" else "Order lines"
    assert lines_label in {f.label for entry in home.context["changes"] for f in entry.fields}
    history = client.get(_history(customer_a.pk), headers=headers)
    if role == "service_a" and history.status_code == 404:
        return  # not this role's customer: nothing to show, but no server error either
    assert history.status_code == 200
    html = history.content.decode()
    assert lines_label in html and "货币基金A × 1" in html
    assert "{'product'" not in html and "MMF-A" not in html


def _entry(user, object_type: str, pk: int, language: str = "en"):
    changes = ObjectChange.objects.filter(object_type=object_type, object_id=pk).order_by("-id")[:1]
    with translation.override(language):
        [entry] = present_changes(list(changes), reader=user)
        return entry, {f.name: f for f in entry.fields}


def test_foreign_keys_show_names_in_one_query_per_model(admin_user, sales_a, order, django_assert_num_queries):
    changes = list(ObjectChange.objects.filter(object_type="commerce.order"))
    with django_assert_num_queries(3):  # users, products, customers
        [entry] = present_changes(changes, reader=admin_user)
    fields = {f.name: f for f in entry.fields}
    assert fields["salesperson"].after == str(sales_a)
    assert entry.customer_name == "张伟"


def test_an_out_of_scope_customer_name_is_not_shown(sales_a, sales_b, customer_a, customer_b, admin_user):
    """A record moved from one customer to another names the customers only where the reader sees them."""
    ObjectChange.objects.create(source="web", action="update", object_type="customers.contact", object_id=1,
                                object_repr="王五", customer_id=customer_a.pk,
                                changes={"customer": [customer_b.pk, customer_a.pk]})
    entry, fields = _entry(sales_a, "customers.contact", 1)
    assert fields["customer"].after == "张伟"
    assert fields["customer"].before == f"#{customer_b.pk}"
    assert "李娜" not in str(entry)
    _entry_admin, fields = _entry(admin_user, "customers.contact", 1)
    assert fields["customer"].before == "李娜"


def test_booleans_read_yes_or_no_in_the_readers_language(sales_a, customer_a):
    contact = customers.contact_create(actor=sales_a, customer_id=customer_a.pk,
                                       data={"name": "王五", "is_key_person": True})
    _e, fields = _entry(sales_a, "customers.contact", contact.pk, "zh-hans")
    assert (fields["is_key_person"].label, fields["is_key_person"].after) == ("关键人", "是")
    _e, fields = _entry(sales_a, "customers.contact", contact.pk, "en")
    assert (fields["is_key_person"].label, fields["is_key_person"].after) == ("Key person", "Yes")


def test_datetimes_read_in_local_time_and_the_readers_format(sales_a, customer_a):
    ObjectChange.objects.create(source="web", action="verify", object_type="customers.customer",
                                object_id=customer_a.pk, object_repr="张伟", customer_id=customer_a.pk,
                                changes={"last_verified_at": [None, "2026-12-06 09:48:24.741070+00:00"]})
    entry, fields = _entry(sales_a, "customers.customer", customer_a.pk, "en")
    after = fields["last_verified_at"].after
    assert "+00:00" not in after and "741070" not in after
    assert after == "12/06/2026 5:48 p.m."  # 09:48 UTC is 17:48 in Asia/Shanghai; English short format
    _e, fields = _entry(sales_a, "customers.customer", customer_a.pk, "zh-hans")
    assert fields["last_verified_at"].after == "2026年12月6日 17:48"


def test_a_change_made_on_a_chinese_page_reads_in_english(client_for, sales_a, manager_a, customer_a, order):
    with translation.override("zh-hans"):
        customers.customer_update(actor=sales_a, customer_id=customer_a.pk, data={"risk_preference": "aggressive"})
    html = client_for(manager_a).get(_history(customer_a.pk), headers={"Accept-Language": "en"}).content.decode()
    assert "Risk preference" in html and "Aggressive" in html and "Order lines" in html and "Salesperson" in html
    assert "风险" not in html and "订单" not in html and "销售人员" not in html
    html = client_for(manager_a).get(AUDIT, headers={"Accept-Language": "en"}).content.decode()
    assert "Order lines" in html and "货币基金A × 1" in html and "订单明细" not in html
    assert "订单" not in html  # the order's name is kept without the word (audit.services.record_repr)
    assert ObjectChange.objects.get(object_type="commerce.order").object_repr == f"#{order.pk}"


def test_document_size_is_a_file_size(sales_a, customer_a):
    ObjectChange.objects.create(source="web", action="create", object_type="customers.customerdocument",
                                object_id=5, object_repr="a.pdf", customer_id=customer_a.pk,
                                changes={"file": [None, "a.pdf"], "size": [None, 2_500_000]})
    _e, fields = _entry(sales_a, "customers.customerdocument", 5, "zh-hans")
    assert fields["size"].label != "规模" and fields["size"].after == "2.4\xa0MB"


def test_masked_values_stay_masked(client_for, sales_a, manager_a, customer_a, monkeypatch):
    customers.customer_update(actor=manager_a, customer_id=customer_a.pk, data={"id_number": "110101199003075672"})
    monkeypatch.setitem(MASKED, Role.MANAGER, frozenset({Sensitive.PHONES, Sensitive.ID_NUMBER}))
    for url in (_history(customer_a.pk), AUDIT):
        html = client_for(manager_a).get(url).content.decode()
        assert "110101199003075672" not in html and "**************5672" in html
    _e, fields = _entry(sales_a, "customers.customer", customer_a.pk)
    assert fields["id_number"].after == "**************5672"


def test_audit_page_names_the_customer_without_a_grouped_number(client_for, admin_user, customer_a, order):
    response = client_for(admin_user).get(AUDIT, headers={"Accept-Language": "en"})
    row = next(r for r in response.context["rows"] if r.change.object_type == "commerce.order")
    assert row.customer_name == "张伟"
    assert f'customer <a href="/customers/{customer_a.pk}/">张伟</a>' in response.content.decode()


def test_notes_the_code_writes_read_in_the_readers_language(admin_user, sales_a):
    from accounts.services import user_password_change

    with translation.override("zh-hans"):
        user_password_change(actor=sales_a, new_password="A-much-longer-pass-2026")
    assert ObjectChange.objects.get(object_type="accounts.user").note == "Password changed."  # stored untranslated
    entry, _fields = _entry(admin_user, "accounts.user", sales_a.pk, "zh-hans")
    assert entry.note == "密码已修改。"
    entry, _fields = _entry(admin_user, "accounts.user", sales_a.pk, "en")
    assert entry.note == "Password changed."


def test_a_deleted_tags_customers_are_named_only_where_visible(sales_a, admin_user, customer_a, customer_b):
    tag = customers.tag_create(actor=admin_user, name="VIP")
    customers.customers_bulk_add_tag(actor=admin_user, customer_ids=[customer_a.pk, customer_b.pk], tag=tag)
    customers.tag_delete(actor=admin_user, tag_id=tag.pk)
    _e, fields = _entry(admin_user, "customers.tag", tag.pk)
    assert (fields["customers"].paired, fields["customers"].after) == (False, "张伟, 李娜")
    _e, fields = _entry(sales_a, "customers.tag", tag.pk)
    assert fields["customers"].after == f"张伟, #{customer_b.pk}"


def test_history_tab_reads_names_in_bulk(client_for, sales_a, manager_a, customer_a):
    """Ten orders of ten products cost the History tab no more queries than one does (bulk names)."""
    client = client_for(sales_a)
    for n in range(10):
        item = commerce.product_create(actor=manager_a, data={
            "code": f"P{n}", "name": f"产品{n}", "category": "基金", "price": Decimal("10"), "unit_cost": Decimal("5")})
        commerce.order_create(actor=sales_a, customer_id=customer_a.pk, data={},
                              lines=[{"product": item, "quantity": Decimal("2")}])
        if n in (0, 9):
            html = assert_query_baseline("customers.detail.history.orders",
                                         lambda: client.get(_history(customer_a.pk))).content.decode()
    assert all(f"产品{n} × 2" in html for n in range(10))
