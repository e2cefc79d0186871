"""Importing customers and contacts: every format, every kind of bad row, upsert, all-or-nothing,
permissions and the audit trail."""

from __future__ import annotations

import pytest
from django.utils import translation

from audit.models import ObjectChange
from customers.models import Contact, Customer
from dataio import services
from dataio.models import ImportJob, ImportStatus

pytestmark = pytest.mark.django_db


def run(user, path, kind="customers", dry_run=False, mapping=None, language="en"):
    with translation.override(language):
        job = services.import_file(actor=user, kind=kind, path=path, dry_run=dry_run, mapping=mapping)
    job.refresh_from_db()
    return job


def errors_of(job):
    return [(e["row"], e["column"], e["message"]) for e in job.report["errors"]]


@pytest.mark.parametrize(("name", "encoding"), [
    ("c.csv", "utf-8"), ("c.csv", "utf-8-sig"), ("c.csv", "gbk"), ("c.xlsx", None),
])
def test_every_format_imports_the_same_customers(write_file, customer_rows, sales_a, name, encoding):
    path = write_file(name, customer_rows, **({"encoding": encoding} if encoding else {}))
    job = run(sales_a, path)
    assert job.status == ImportStatus.DONE, job.report
    assert job.counts["create"] == 3
    people = {c.external_id: c for c in Customer.objects.all()}
    wang = people["C001"]
    assert wang.name == "王小明" and wang.kind == "person" and wang.city == "杭州"
    assert str(wang.birthday) == "1985-03-05" and wang.risk_preference == "cautious"
    assert wang.owner == sales_a and wang.team == sales_a.team
    assert wang.name_pinyin == "wangxiaoming" and wang.phone_digits == "13800001111"
    assert sorted(wang.tags.values_list("name", flat=True)) == ["VIP", "展会2026"]
    assert people["C002"].kind == "organisation"
    assert people["C003"].risk_preference == "aggressive" and people["C003"].phone == "+86 139 0000 2222"


def test_dry_run_writes_nothing(write_file, customer_rows, sales_a):
    job = run(sales_a, write_file("c.csv", customer_rows), dry_run=True)
    assert job.status == ImportStatus.CHECKED
    assert job.counts == {"create": 3, "update": 0, "unchanged": 0, "skip": 0, "invalid": 0, "rows": 3}
    assert not Customer.objects.exists()
    assert not ObjectChange.objects.exists()


def test_audit_one_record_per_customer_and_reimport_changes_nothing(write_file, customer_rows, sales_a):
    path = write_file("c.csv", customer_rows)
    job = run(sales_a, path)
    creates = ObjectChange.objects.filter(object_type="customers.customer", action="create")
    assert creates.count() == 3
    change = creates.get(object_repr="王小明")
    assert change.user == sales_a and change.source == "cli"
    assert change.changes["name"] == [None, "王小明"] and change.changes["tags"] == [None, ["VIP", "展会2026"]]
    assert f"#{job.pk}" in change.note
    before = ObjectChange.objects.count()

    again = run(sales_a, path)
    assert again.status == ImportStatus.DONE
    assert again.counts["unchanged"] == 3 and again.counts["create"] == again.counts["update"] == 0
    assert Customer.objects.count() == 3
    assert ObjectChange.objects.count() == before  # no audit noise


def test_changed_rows_update_with_before_and_after(write_file, customer_rows, sales_a):
    run(sales_a, write_file("c.csv", customer_rows))
    customer_rows[1][5] = "宁波"  # city of C001
    customer_rows[1][8] = "VIP, 重点"  # one more tag
    job = run(sales_a, write_file("c2.csv", customer_rows))
    assert job.counts["update"] == 1 and job.counts["unchanged"] == 2
    wang = Customer.objects.get(external_id="C001")
    assert wang.city == "宁波"
    assert sorted(wang.tags.values_list("name", flat=True)) == sorted(["VIP", "重点", "展会2026"])
    update = ObjectChange.objects.get(action="update", object_type="customers.customer")
    assert update.changes["city"] == ["杭州", "宁波"]
    assert update.changes["tags"] == [sorted(["VIP", "展会2026"]), sorted(["VIP", "展会2026", "重点"])]


def test_empty_cells_do_not_clear_values(write_file, customer_rows, sales_a):
    run(sales_a, write_file("c.csv", customer_rows))
    customer_rows[1][4] = ""  # e-mail of C001 emptied in the file
    job = run(sales_a, write_file("c2.csv", customer_rows))
    assert job.counts["unchanged"] == 3
    assert Customer.objects.get(external_id="C001").email == "wxm@example.cn"


BAD = [
    ["客户编号", "客户名称", "类型", "手机", "邮箱", "城市", "生日", "风险偏好", "标签"],
    ["B1", "好客户", "个人", "13800001111", "ok@example.cn", "", "", "", ""],
    ["B2", "", "个人", "", "", "", "", "", ""],  # no name
    ["B3", "坏邮箱", "个人", "", "not-an-email", "", "", "", ""],  # bad e-mail
    ["B4", "坏电话", "个人", "138-abc", "", "", "", "", ""],  # bad phone
    ["B5", "坏日期", "个人", "", "", "", "1985-02-30", "", ""],  # no such date
    ["B6", "坏类型", "火星人", "", "", "", "", "", ""],  # unknown choice
    ["B1", "重复", "个人", "", "", "", "", "", ""],  # key twice in the file
    ["", "没有编号", "个人", "", "", "", "", "", ""],  # no key: valid, creates (test_import_without_key.py)
    ["B9", "长" * 201, "个人", "", "", "", "", "", ""],  # too long
]


def test_every_kind_of_bad_row_is_reported_and_nothing_is_imported(write_file, sales_a):
    job = run(sales_a, write_file("bad.csv", BAD))
    assert job.status == ImportStatus.CHECKED  # checked, not importable
    assert not Customer.objects.exists()
    found = errors_of(job)
    rows = {r for r, _c, _m in found}
    assert rows == {3, 4, 5, 6, 7, 8, 10}
    by_row = {r: (c, m) for r, c, m in found}
    assert by_row[3] == ("客户名称", "This field is required.")
    assert by_row[4] == ("邮箱", "Enter a valid email address.")
    assert by_row[5] == ("手机", "A phone number may contain only digits, spaces, dashes, brackets and +.")
    assert by_row[6][0] == "生日" and "valid date" in by_row[6][1]
    assert by_row[7][0] == "类型" and "火星人" in by_row[7][1]
    assert by_row[8] == ("客户编号", "“B1” appears again in the file (first in row 2).")
    assert by_row[10][0] == "客户名称" and "200" in by_row[10][1]
    assert job.counts["create"] == 2 and job.counts["invalid"] == 7
    with pytest.raises(Exception, match="Correct the rows"), translation.override("en"):
        services.import_job_confirm(actor=sales_a, job_id=job.pk)


def test_messages_follow_the_users_language(write_file, sales_a):
    job = run(sales_a, write_file("bad.csv", BAD[:3]), language="zh-hans")
    assert errors_of(job) == [(3, "客户名称", "这个字段是必填项。")]


def test_rollback_when_the_import_fails_midway(write_file, customer_rows, sales_a, monkeypatch):
    """A failure after some rows were written leaves nothing behind (one transaction)."""
    from dataio.importers.customers import CustomerImporter

    path = write_file("c.csv", customer_rows)
    with translation.override("en"):
        job = services.import_file(actor=sales_a, kind="customers", path=path, dry_run=True)
    monkeypatch.setattr(CustomerImporter, "batch_size", 1)
    calls = {"n": 0}
    original = CustomerImporter.write

    def failing_write(self):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        original(self)

    monkeypatch.setattr(CustomerImporter, "write", failing_write)
    with pytest.raises(RuntimeError):
        services.import_job_confirm(actor=sales_a, job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert calls["n"] == 3  # two batches were written before the failure...
    assert not Customer.objects.exists()  # ...and rolled back
    assert not ObjectChange.objects.exists()


def test_data_changed_since_the_check_aborts(write_file, customer_rows, sales_a, make_customer):
    job = run(sales_a, write_file("c.csv", customer_rows), dry_run=True)
    make_customer(sales_a, name="抢先", external_id="C002")  # someone creates C002 meanwhile
    with translation.override("en"):
        services.import_job_confirm(actor=sales_a, job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "changed since the check" in job.error
    assert Customer.objects.count() == 1


def test_customers_of_other_teams_are_not_touched(write_file, customer_rows, sales_a, sales_b, make_customer):
    # External IDs are unique per team (ADR 0006): team B's C001 is neither changed nor revealed;
    # the row creates team A's own C001, exactly as it would if team B had no C001.
    theirs = make_customer(sales_b, name="李娜", external_id="C001")
    job = run(sales_a, write_file("c.csv", customer_rows))
    assert job.status == ImportStatus.DONE, job.report
    assert errors_of(job) == [] and job.counts["create"] == len(customer_rows) - 1
    theirs.refresh_from_db()
    assert theirs.name == "李娜" and theirs.team_id == sales_b.team_id
    assert Customer.objects.filter(external_id="C001", team_id=sales_a.team_id).exists()


def test_customer_import_answers_alike_for_another_teams_number(write_file, sales_a, sales_b, make_customer):
    make_customer(sales_b, name="李娜", external_id="B-1")
    reports = []
    for key in ("B-1", "FREE-1"):
        job = run(sales_a, write_file("c.csv", [["编号", "姓名"], [key, "王小明"]]), dry_run=True)
        reports.append((job.status, job.counts, str(job.report).replace(key, "…")))
    assert reports[0] == reports[1]


def test_customer_import_refuses_nothing_it_could_not_show(write_file, sales_a, make_customer):
    # In scope the number is the upsert key: the row updates the user's own customer.
    make_customer(sales_a, name="旧名", external_id="A-1")
    job = run(sales_a, write_file("c.csv", [["编号", "姓名"], ["A-1", "新名"]]))
    assert job.status == ImportStatus.DONE and job.counts["update"] == 1
    assert Customer.objects.get(external_id="A-1").name == "新名"


def test_contact_import_answers_alike_for_another_teams_customer(write_file, sales_a, sales_b, make_customer):
    make_customer(sales_b, name="李娜", external_id="B-1")
    answers = []
    for ref in ("B-1", "NOPE-1"):
        rows = [["联系人编号", "客户编号", "联系人"], ["P1", ref, "王经理"]]
        job = run(sales_a, write_file("p.csv", rows), kind="contacts", dry_run=True)
        answers.append([(r, c, m.replace(ref, "…")) for r, c, m in errors_of(job)])
    assert answers[0] == answers[1] == [(2, "客户编号", "No customer has the external ID or name “…”.")]


def test_an_administrators_import_meets_the_same_number_in_two_teams(write_file, admin_user, sales_a, sales_b,
                                                                      make_customer):
    make_customer(sales_a, name="甲", external_id="T-1")
    make_customer(sales_b, name="乙", external_id="T-1")
    job = run(admin_user, write_file("c.csv", [["编号", "姓名"], ["T-1", "丙"]]))
    assert errors_of(job) == [(2, "编号", "Customers of several teams have this external ID: change them on "
                                         "their cards.")]
    rows = [["联系人编号", "客户编号", "联系人"], ["P1", "T-1", "王经理"]]
    job = run(admin_user, write_file("p.csv", rows), kind="contacts")
    assert errors_of(job) == [(2, "客户编号", "Customers of several teams have the external ID “T-1”.")]


def test_roles_that_may_not_import(write_file, customer_rows, analyst):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        run(analyst, write_file("c.csv", customer_rows))
    assert not ImportJob.objects.exists()


def test_owner_column_for_users_who_may_transfer(write_file, manager_a, sales_a, sales_b):
    rows = [["编号", "姓名", "负责人"], ["O1", "甲", "sales_a"], ["O2", "乙", ""], ["O3", "丙", "sales_b"]]
    job = run(manager_a, write_file("o.csv", rows))
    # sales_b is in another team: a manager may not give customers to them.
    assert errors_of(job) == [(4, "负责人", "No active user “sales_b” may be chosen here.")]
    job = run(manager_a, write_file("o.csv", rows[:3]))
    assert job.status == ImportStatus.DONE
    assert Customer.objects.get(external_id="O1").owner == sales_a
    assert Customer.objects.get(external_id="O2").owner == manager_a


def test_owner_column_is_not_offered_to_sales(write_file, sales_a):
    rows = [["编号", "姓名", "负责人"], ["O1", "甲", "someone"]]
    job = run(sales_a, write_file("o.csv", rows))
    assert "owner" not in job.mapping
    assert Customer.objects.get(external_id="O1").owner == sales_a


def test_masked_fields_are_not_overwritten(write_file, sales_a, make_customer):
    make_customer(sales_a, name="张伟", external_id="M1", id_number="110101199003071233")
    rows = [["编号", "姓名", "身份证号"], ["M1", "张伟", "999999999999999999"]]
    job = run(sales_a, write_file("m.csv", rows))
    assert job.status == ImportStatus.DONE and job.counts["unchanged"] == 1
    assert Customer.objects.get(external_id="M1").id_number == "110101199003071233"
    assert any("masked" in n["message"] for n in job.report["notes"])


def test_merged_and_deleted_customers_are_skipped(write_file, sales_a, make_customer):
    survivor = make_customer(sales_a, name="留下", external_id="S1")
    Customer.objects.filter(pk=make_customer(sales_a, name="并入", external_id="S2").pk).update(
        deleted_at="2026-01-01T00:00:00Z", merged_into=survivor)
    rows = [["编号", "姓名"], ["S1", "留下"], ["S2", "并入的新名字"]]
    job = run(sales_a, write_file("s.csv", rows))
    assert job.status == ImportStatus.DONE
    assert job.counts["skip"] == 1 and job.counts["unchanged"] == 1
    assert Customer.objects.get(external_id="S2").name == "并入"


def test_contacts_by_customer_external_id_or_name(write_file, sales_a, make_customer, customer_b):
    org = make_customer(sales_a, name="恒信机械", kind="organisation", external_id="ORG1")
    rows = [
        ["联系人编号", "客户编号", "联系人", "职位", "电话", "关键人"],
        ["P1", "ORG1", "王经理", "采购经理", "13700001111", "否"],
        ["P2", "恒信机械", "李总", "总经理", "", "否"],
        ["P3", "NOPE", "张三", "", "", ""],
        ["P4", "李娜", "王五", "", "", ""],  # another team's customer
        ["P5", "ORG1", "赵六", "", "", "是"],  # key person without the six scores
    ]
    job = run(sales_a, write_file("p.csv", rows), kind="contacts")
    by_row = {r: (c, m) for r, c, m in errors_of(job)}
    assert set(by_row) == {4, 5, 6}
    assert by_row[4] == ("客户编号", "No customer has the external ID or name “NOPE”.")
    assert by_row[5][0] == "客户编号"
    assert by_row[6][1] == "Rate every dimension of a key person."
    job = run(sales_a, write_file("p.csv", rows[:3]), kind="contacts")
    assert job.status == ImportStatus.DONE, job.report
    assert sorted(Contact.objects.filter(customer=org).values_list("name", flat=True)) == ["李总", "王经理"]
    assert ObjectChange.objects.filter(object_type="customers.contact", customer_id=org.pk).count() == 2
    again = run(sales_a, write_file("p.csv", rows[:3]), kind="contacts")
    assert again.counts["unchanged"] == 2


def test_imported_customers_are_found_by_the_search(write_file, customer_rows, sales_a):
    """The search index is filled at the end of an import that only adds rows: nothing is missing."""
    from customers.selectors import customer_search

    run(sales_a, write_file("c.csv", customer_rows))
    for q in ("王小明", "恒信精密", "wangxiaoming", "13800001111", "Anna"):
        assert [h.customer.external_id for h in customer_search(user=sales_a, q=q)][:1] in (["C001"], ["C002"],
                                                                                            ["C003"]), q


def test_imported_customers_count_as_verified_at_creation(write_file, customer_rows, sales_a):
    job = run(sales_a, write_file("c.csv", customer_rows))
    assert job.status == ImportStatus.DONE, job.report
    assert not Customer.objects.filter(last_verified_at__isnull=True).exists()
    assert not Customer.objects.filter(Customer.stale_q()).exists()


def test_a_tag_longer_than_50_characters_is_refused_not_cut(write_file, sales_a):
    rows = [["客户编号", "客户名称", "类型", "标签"], ["T1", "标签太长", "个人", "VIP," + "长" * 300]]
    job = run(sales_a, write_file("tags.csv", rows))
    assert job.status == ImportStatus.CHECKED and not Customer.objects.exists()
    [(row, column, message)] = errors_of(job)
    assert (row, column) == (2, "标签") and "at most 50 characters" in message and "has 300" in message
    from customers.models import Tag
    assert not Tag.objects.exists()
