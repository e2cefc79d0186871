"""One source for the write rules of customers: the services' "derive and check" step
(customers.services.customer_check_new / customer_derive) is what the importer runs before its bulk
write, so an import and the form or API never disagree on owner, team, search keys or plausibility."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from customers import services
from customers.models import Customer
from dataio import services as dataio_services
from dataio.models import ImportStatus

pytestmark = pytest.mark.django_db

HEADER = ["客户编号", "客户名称", "类型", "手机", "其他电话", "城市", "负责人"]
# Values set by the write, not by the input: compared apart or not at all.
_NOT_DERIVED = {"id", "external_id", "created_at", "updated_at", "last_verified_at"}


def _import(user, write_file, rows, name="c.csv"):
    with translation.override("en"):
        job = dataio_services.import_file(actor=user, kind="customers", path=write_file(name, [HEADER, *rows]),
                                          dry_run=False)
    job.refresh_from_db()
    return job


def _stored(customer: Customer) -> dict:
    customer.refresh_from_db()
    return {f.attname: getattr(customer, f.attname) for f in Customer._meta.concrete_fields
            if f.attname not in _NOT_DERIVED}


def test_a_manager_cannot_give_a_new_customer_to_another_teams_user_by_any_door(
    write_file, manager_a, sales_b, client_for
):
    """The service used to create it in team B (only the form's list of owners, the API's check and
    the importer's lookup refused it); now the one check refuses it at every door."""
    with pytest.raises(ValidationError) as exc:
        services.customer_create(actor=manager_a, owner=sales_b, data={"name": "越界客户", "kind": "person"})
    assert "owner" in exc.value.message_dict

    job = _import(manager_a, write_file, [["X9", "越界客户", "个人", "", "", "", sales_b.username]])
    assert job.status != ImportStatus.DONE and job.counts["create"] == 0
    assert [e["field"] for e in job.report["errors"]] == ["owner"]

    answer = client_for(manager_a).post("/api/v1/customers", {"name": "越界客户", "owner": sales_b.pk},
                                        content_type="application/json")
    assert answer.status_code == 400
    assert not Customer.objects.filter(name="越界客户").exists()


@pytest.mark.parametrize("row", [
    ["P1", "张伟", "个人", "+86 138-1234-5678", "", "北京"],
    ["P2", "于思", "个人", "13900001111", "010 6666 8888", "重庆"],
    ["O1", "杭州恒信精密机械有限公司", "组织", "0571-88886666", "138 0000 1111", "杭州"],
    ["L1", "Anna Li", "个人", "", "", "上海"],
])
def test_import_and_service_store_the_same_derived_fields(write_file, manager_a, sales_a, row):
    """The same input through the importer and through customer_create / customer_update: owner,
    team, search keys and every other stored value are identical."""
    external_id, name, kind_label, phone, phone_alt, city = row
    kind = "person" if kind_label == "个人" else "organisation"
    job = _import(manager_a, write_file, [[*row, sales_a.username]])
    assert job.status == ImportStatus.DONE, job.report
    imported = Customer.objects.get(external_id=external_id)
    served = services.customer_create(actor=manager_a, owner=sales_a, data={
        "name": name, "kind": kind, "phone": phone, "phone_alt": phone_alt, "city": city})
    assert imported.owner_id == sales_a.pk and imported.team_id == sales_a.team_id
    assert imported.last_verified_at is not None and served.last_verified_at is not None
    assert _stored(imported) == _stored(served)

    # An update of the sources of every derived value: name, kind, phones, city.
    other = "organisation" if kind == "person" else "person"
    changed = [external_id, f"{name}新", "组织" if other == "organisation" else "个人", "020-3333 4444",
               "", "广州", ""]
    job = _import(manager_a, write_file, [changed], name="c2.csv")
    assert job.status == ImportStatus.DONE and job.counts["update"] == 1, job.report
    services.customer_update(actor=manager_a, customer_id=served.pk, data={
        "name": f"{name}新", "kind": other, "phone": "020-3333 4444", "city": "广州"})
    assert _stored(imported) == _stored(served)
    assert imported.city_pinyin == "guangzhou" and "02033334444" in imported.phone_digits


def test_every_derived_value_names_its_sources(sales_a, make_customer):
    """customer_derive() sets exactly what CUSTOMER_DERIVED_FROM says (the importer writes the derived
    columns whose sources changed): a derived value that follows an unlisted field would go stale
    after an import."""
    customer = make_customer(sales_a, name="张伟", phone="138", city="北京")
    derived = [n for n in services.CUSTOMER_DERIVED_FROM if n != "team"]
    changes = {"name": "李娜", "kind": "organisation", "phone": "021-5555 6666", "phone_alt": "139 1111 2222",
               "city": "上海", "occupation": "律师", "email": "x@example.cn", "address": "人民路 1 号"}
    for field, value in changes.items():
        before = {n: getattr(customer, n) for n in derived}
        setattr(customer, field, value)
        services.customer_derive(customer)
        moved = {n for n in derived if getattr(customer, n) != before[n]}
        assert moved <= set(services.customer_derived_fields([field])), field
    assert services.customer_derived_fields(["owner"]) == ["team"]
