"""`kehu import policies`: customer by external ID, insured person by family member name, dry run,
all-or-nothing, and the households' gaps refreshed after the import."""

from decimal import Decimal

import pytest

from customers.services import family_member_create
from dataio.services import import_file
from wealth.models.coverage import CoverageGapSummary, InsurancePolicy

pytestmark = pytest.mark.django_db(transaction=True)

HEAD = "保单编号,客户编号,被保险人,保险公司,险种,生效日期,保额,保费\n"


def _file(tmp_path, body):
    path = tmp_path / "policies.csv"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def test_import_policies(tmp_path, make_customer, sales_a):
    customer = make_customer(sales_a, name="王强", external_id="C-1")
    child = family_member_create(actor=sales_a, customer_id=customer.pk,
                                 data={"name": "王小丫", "relation": "child", "age": 4})
    good = "P-1,C-1,,平安人寿,life,2024-01-01,500000,3000\nP-2,C-1,王小丫,中国人寿,medical,2024-02-01,100000,800\n"
    job = import_file(actor=sales_a, kind="policies", path=_file(tmp_path, good), dry_run=True)
    assert job.counts.get("created", job.counts) and not InsurancePolicy.objects.exists()
    bad = good + "P-3,C-1,无名氏,中国人寿,medical,2024-02-01,100000,800\n"
    job = import_file(actor=sales_a, kind="policies", path=_file(tmp_path, bad))
    assert not InsurancePolicy.objects.exists()  # all or nothing: one bad insured person stops all
    assert "无名氏" in str(job.report)
    import_file(actor=sales_a, kind="policies", path=_file(tmp_path, good))
    policies = {p.external_id: p for p in InsurancePolicy.objects.all()}
    assert policies["P-1"].insured_member_id is None and policies["P-1"].sum_insured == Decimal("500000")
    assert policies["P-2"].insured_member_id == child.pk and policies["P-2"].customer_id == customer.pk
    # The child now has cover: the household's stored gaps were refreshed after the import.
    assert not CoverageGapSummary.objects.filter(customer=customer).exists()


def test_a_role_that_sees_assets_masked_may_not_import(service_a):
    from dataio.importers import get_importer

    assert not get_importer("policies").permitted(service_a)


def test_export_policies_round_trips_and_masks(tmp_path, make_customer, sales_a, sales_b, service_a):
    from dataio.exports import export_to_file, exports
    customer = make_customer(sales_a, name="王强", external_id="C-1")
    family_member_create(actor=sales_a, customer_id=customer.pk, data={"name": "王小丫", "relation": "child"})
    import_file(actor=sales_a, kind="policies", path=_file(
        tmp_path, "P-1,C-1,王小丫,中国人寿,medical,2024-02-01,123456,789\n"))
    out = tmp_path / "out.csv"
    assert export_to_file(user=sales_a, kind="policies", path=out) == 1
    text = out.read_text(encoding="utf-8-sig")
    assert "P-1" in text and "王小丫" in text and "123456" in text
    assert export_to_file(user=sales_b, kind="policies", path=tmp_path / "b.csv") == 0  # out of scope
    spec = exports()["policies"]
    qs = InsurancePolicy.objects.all().select_related("customer", "insured_member")
    [row] = list(spec.rows(service_a, qs, False))
    assert "123456" not in str(row) and "789" not in str(row) and "******" in row
    # The file reads back as an import of the same policies (no change: every row the same).
    job = import_file(actor=sales_a, kind="policies", path=out, dry_run=True)
    assert job.counts["unchanged"] == 1 and job.counts["invalid"] == 0
