"""`kehu import holdings FILE`: Chinese headers and values mapped, the customer by external ID, a
dry run that writes nothing, all-or-nothing, bad rows explained, and the masked roles refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation

from dataio import services
from dataio.models import ImportStatus
from dataio.tests.conftest import csv_bytes
from wealth.models import Holding

pytestmark = pytest.mark.django_db

HEADER = ["持仓编号", "客户编号", "资产类别", "产品名称", "金额", "币种", "到期日", "风险等级", "本行持有", "机构"]
GOOD = [
    ["H1", "C1", "定期存款", "三年定期", "300000", "CNY", "2027-05-01", "R1", "是", ""],
    ["H2", "C1", "基金", "沪深300", "10000.50", "USD", "", "R4", "否", "中信证券"],
    ["H3", "C1", "房贷", "住房按揭", "800000", "CNY", "2045-01-01", "", "是", ""],
]


@pytest.fixture
def holder(make_customer, sales_a):
    return make_customer(sales_a, name="王富贵", external_id="C1")


@pytest.fixture
def write(tmp_path):
    def make(rows):
        path = tmp_path / "holdings.csv"
        path.write_bytes(csv_bytes(rows))
        return path
    return make


def run(user, path, dry_run=False):
    with translation.override("en"):
        job = services.import_file(actor=user, kind="holdings", path=path, dry_run=dry_run)
    job.refresh_from_db()
    return job


def errors_of(job):
    return {e["row"]: (e["column"], e["message"]) for e in job.report["errors"]}


def test_a_dry_run_writes_nothing_then_the_import_writes_every_row(write, sales_a, holder):
    path = write([HEADER, *GOOD])
    job = run(sales_a, path, dry_run=True)
    assert job.report["errors"] == [] and job.report["counts"]["create"] == 3, job.report
    assert not Holding.objects.exists()
    job = run(sales_a, path)
    assert job.status == ImportStatus.DONE, job.report
    by_id = {h.external_id: h for h in Holding.objects.all()}
    assert by_id["H1"].asset_class == "deposit" and by_id["H1"].amount == Decimal("300000.00")
    assert by_id["H2"].asset_class == "fund" and not by_id["H2"].held_with_us and by_id["H2"].institution == "中信证券"
    assert by_id["H3"].asset_class == "loan" and by_id["H1"].customer == holder and by_id["H1"].created_by == sales_a
    # The same file again changes nothing; a changed amount updates the holding.
    changed = [HEADER, [*GOOD[0][:4], "310000", *GOOD[0][5:]]]
    job = run(sales_a, write(changed))
    assert job.status == ImportStatus.DONE and job.report["counts"]["update"] == 1, job.report
    assert Holding.objects.get(external_id="H1").amount == Decimal("310000.00")


def test_one_bad_row_imports_nothing_and_every_bad_row_is_explained(write, sales_a, holder):
    rows = [
        HEADER, GOOD[0],
        ["H2", "C9", "基金", "沪深300", "100", "CNY", "", "R4", "是", ""],  # unknown customer
        ["H3", "C1", "加密货币", "比特币", "100", "CNY", "", "", "是", ""],  # unknown class
        ["H4", "C1", "基金", "他行基金", "100", "CNY", "", "R9", "否", ""],  # bad risk level, no institution
        ["H5", "C1", "基金", "负数", "-5", "CNY", "", "", "是", ""],  # negative amount
    ]
    job = run(sales_a, write(rows))
    assert job.status != ImportStatus.DONE
    assert not Holding.objects.exists()
    errors = errors_of(job)
    assert set(errors) == {3, 4, 5, 6}, job.report["errors"]
    assert errors[3][0] == "客户编号"
    assert errors[4][0] == "资产类别"
    assert errors[6][0] == "金额"
    messages = [e for e in job.report["errors"] if e["row"] == 5]
    assert {e["column"] for e in messages} >= {"风险等级"}


def test_the_cli_imports_holdings(write, sales_a, holder, capsys):
    call_command("import", "holdings", str(write([HEADER, *GOOD])), "--user", sales_a.username, "--dry-run")
    assert not Holding.objects.exists()
    call_command("import", "holdings", str(write([HEADER, *GOOD])), "--user", sales_a.username)
    assert Holding.objects.count() == 3


def test_a_role_that_sees_assets_masked_may_not_import_holdings(write, service_a, holder):
    from dataio.importers.wealth import HoldingImporter

    assert not HoldingImporter.permitted(service_a)
