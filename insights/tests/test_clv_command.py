"""`kehu clv fit` on the CDNOW fixture and on CSV files; bad files; `kehu clv refresh` hands over to the service."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

FIXTURE = Path(__file__).parent / "fixtures" / "cdnow" / "CDNOW_sample.txt"
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> str:
    out = StringIO()
    call_command("clv", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def english(monkeypatch):
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")


def _cdnow_json(path: Path, *cols: str) -> dict:
    out = run("fit", "--transactions", str(path), "--customer-col", cols[0], "--date-col", cols[1],
              "--amount-col", cols[2], "--calibration-end", "1997-09-30", "--holdout-end", "1998-06-30", "--json")
    return json.loads(out)


def test_json_on_cdnow_matches_the_published_figures(english):
    result = _cdnow_json(FIXTURE, "2", "3", "5")
    assert set(result) == {"customers", "bgnbd", "gamma_gamma", "holdout"}
    assert result["customers"] == 2357
    bg, gg = result["bgnbd"], result["gamma_gamma"]
    assert set(bg) == {"r", "alpha", "a", "b", "log_likelihood"}
    assert set(gg) == {"p", "q", "gamma", "log_likelihood"}
    assert (round(bg["r"], 3), round(bg["alpha"], 3), round(bg["a"], 3), round(bg["b"], 3)) == (
        0.243, 4.414, 0.793, 2.426)
    assert round(bg["log_likelihood"], 1) == -9582.4
    assert (round(gg["p"], 2), round(gg["q"], 2), round(gg["gamma"], 2)) == (6.25, 3.74, 15.44)
    assert result["holdout"]["actual"] == 1882
    assert result["holdout"]["predicted"] == pytest.approx(1653.4, abs=0.5)


def test_a_csv_with_bom_header_and_iso_dates_gives_the_same_fit(english, tmp_path):
    lines = FIXTURE.read_text().split("\n")
    rows = ["客户编号,订单日期,金额"]
    for line in lines:
        if line.strip():
            _, cust, day, _, amount = line.split()
            rows.append(f"C{cust},{day[:4]}-{day[4:6]}-{day[6:]},{amount}")
    path = tmp_path / "orders.csv"
    path.write_bytes("\ufeff".encode() + "\r\n".join(rows).encode("utf-8"))
    as_csv = _cdnow_json(path, "客户编号", "订单日期", "金额")
    as_text = _cdnow_json(FIXTURE, "2", "3", "5")
    assert as_csv["bgnbd"] == pytest.approx(as_text["bgnbd"])
    assert as_csv["gamma_gamma"] == pytest.approx(as_text["gamma_gamma"])
    assert as_csv["holdout"] == pytest.approx(as_text["holdout"])


def test_text_report_has_the_group_table(english):
    out = run("fit", "--transactions", str(FIXTURE), "--customer-col", "2", "--date-col", "3", "--amount-col", "5",
              "--date-format", "%Y%m%d", "--calibration-end", "1997-09-30", "--holdout-end", "1998-06-30")
    assert "r = 0.2426" in out and "log-likelihood -9582.43" in out
    table = [line.split() for line in out.splitlines() if line.strip()[:2] in {"0 ", "7+"}]
    assert table[0][:2] == ["0", "1411"] and table[-1][:2] == ["7+", "64"]
    assert "Total: actual 1882, predicted 1653.4" in out


def test_little_data_gets_a_warning(english, tmp_path):
    path = tmp_path / "tiny.csv"
    path.write_text("id,day,amt\n1, 2024-01-01 ,5\n1,2024-02-01,6\n2,2024-01-03,7\n2, 2024-03-03, 8\n3,2024-01-09,1\n",
                    encoding="utf-8")
    out = run("fit", "--transactions", str(path), "--customer-col", "id", "--date-col", "day", "--amount-col", "amt")
    assert "Customers: 3 (repeat buyers: 2)" in out
    assert "Warning: only 2 customers bought more than once" in out
    cdnow = run("fit", "--transactions", str(FIXTURE), "--customer-col", "2", "--date-col", "3", "--amount-col", "5")
    assert "Warning" not in cdnow


def test_days_and_no_holdout(english, tmp_path):
    path = tmp_path / "t.csv"
    start = dt.date(2024, 1, 1)
    rows = ["cust;date;value"]
    for c in range(40):
        for k in range(c % 5 + 1):
            rows.append(f"{c};{start + dt.timedelta(days=c + 9 * k)};{10 + c + k}")
    path.write_text("\n".join(rows), encoding="utf-8")
    result = json.loads(run("fit", "--transactions", str(path), "--customer-col", "cust", "--date-col", "date",
                            "--amount-col", "value", "--time-unit", "day", "--json"))
    assert result["customers"] == 40 and "holdout" not in result
    assert result["bgnbd"]["alpha"] > 0 and result["gamma_gamma"]["p"] > 0


BAD_FILES = [
    ("", "is empty"),
    ("customer,date,amount\n", "has no data rows"),
    ("customer,date,amount\n1,2024-01-01,5\n", "no column “value”"),
    ("customer,date,value\n1,2024-01-01,5\n1,2024-13-01,5\n", "Row 3, column “date”: “2024-13-01” is not a date"),
    ("customer,date,value\n1,2024-01-01,5\n2,2024-01-02,abc\n", "Row 3, column “value”: “abc” is not a number"),
    ("customer,date,value\n1,2024-01-01,5\n2,2024-01-02,-3\n", "Row 3, column “value”: the amount -3 is negative"),
    ("customer,date,value\n1,2024-01-01,5\n2,,4\n", "Row 3, column “date”: the value is missing"),
    ("customer,date,value\n1,01/02/2024,5\n", "Row 2, column “date”: “01/02/2024” is not a date in a format"),
    ("customer,date,value\n1,2024-01-01,5\n2,2024-01-02,4\n", "no customer bought again"),
    # The first bad row in the file is reported, whatever the kind of problem.
    ("customer,date,value\n1,2024-01-01,5\n2,2024-01-0x,5\n3,2024-01-03,zz\n", "Row 3, column “date”"),
    ("customer,date,value\n1,2024-01-01,abc\n2,2024-01-0x,5\n", "Row 2, column “value”: “abc”"),
    ("customer,date,value\n1,2024-01-01,5\n2,2024-01-02\n3,x,5\n", "Row 3, column “value”: the value is missing"),
]


@pytest.mark.parametrize("content,message", BAD_FILES)
def test_bad_files_name_the_row_and_column(english, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError) as err:
        run("fit", "--transactions", str(path), "--customer-col", "customer", "--date-col", "date",
            "--amount-col", "value")
    assert message in str(err.value)


def test_bad_options(english, tmp_path):
    with pytest.raises(CommandError, match="No file"):
        run("fit", "--transactions", str(tmp_path / "none.csv"), "--customer-col", "1", "--date-col", "2",
            "--amount-col", "3")
    with pytest.raises(CommandError, match="needs --calibration-end"):
        run("fit", "--transactions", str(FIXTURE), "--customer-col", "2", "--date-col", "3", "--amount-col", "5",
            "--holdout-end", "1998-06-30")
    with pytest.raises(CommandError, match="is not a date"):
        run("fit", "--transactions", str(FIXTURE), "--customer-col", "2", "--date-col", "3", "--amount-col", "5",
            "--calibration-end", "30.9.1997")


def test_messages_in_chinese(monkeypatch, tmp_path):
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    path = tmp_path / "bad.csv"
    path.write_text("customer,date,value\n1,2024-01-01,abc\n", encoding="utf-8")
    with pytest.raises(CommandError) as err:
        run("fit", "--transactions", str(path), "--customer-col", "customer", "--date-col", "date",
            "--amount-col", "value")
    assert "第 2 行" in str(err.value) and "value" in str(err.value)


def test_a_bad_file_exits_non_zero_from_the_shell(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("customer,date,value\n1,2024-01-01,5\n2,2024-01-02,x\n", encoding="utf-8")
    env = {**os.environ, "LANG": "en_US.UTF-8", "LC_ALL": "", "DJANGO_SETTINGS_MODULE": "kehu.settings"}
    proc = subprocess.run([sys.executable, "-m", "kehu", "clv", "fit", "--transactions", str(path), "--customer-col",
                           "customer", "--date-col", "date", "--amount-col", "value"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert proc.returncode != 0
    assert "Row 3" in proc.stderr and proc.stdout == ""


def test_refresh_calls_the_scoring_service(english, monkeypatch):
    calls = []

    def fake_refresh(*, as_of=None, progress=None):
        calls.append(as_of)
        progress("fit", 1, 2)
        return SimpleNamespace(status="done", as_of=as_of, customers_scored=12, duration_seconds=0.5, bgnbd={"r": 1},
                               gamma_gamma={}, holdout=None)

    monkeypatch.setattr("insights.services.scores_refresh", fake_refresh)
    out = run("refresh", "--as-of", "2025-03-31")
    assert calls == [dt.date(2025, 3, 31)]
    assert "customers_scored: 12" in out and "bgnbd" in out and "\"r\": 1" in out
    with pytest.raises(CommandError, match="is not a date"):
        run("refresh", "--as-of", "31/03/2025")


def test_refresh_reports_a_failed_run(english, monkeypatch):
    def failing(*, as_of=None, progress=None):
        raise ValueError("no orders")

    monkeypatch.setattr("insights.services.scores_refresh", failing)
    with pytest.raises(CommandError, match="no orders"):
        run("refresh")


@pytest.mark.django_db
def test_refresh_scores_the_database(english, sales_a):
    from insights.models import CustomerScore
    from insights.tests.scoring_data import customers_bulk, generated_history

    customers = customers_bulk(sales_a, 120, "命令")
    generated_history(customers, as_of=dt.date(2026, 6, 30))
    out = run("refresh", "--as-of", "2026-06-30")
    assert "status: Done" in out
    scored = CustomerScore.objects.count()
    assert scored > 0 and f"customers scored: {scored}" in out
    assert "BG/NBD: r = " in out and "Gamma-Gamma: p = " in out and "Total: actual " in out


def test_amounts_with_currency_signs_and_thousands_separators(english, tmp_path):
    path = tmp_path / "t.csv"
    rows = ["id,day,amount"]
    start = dt.date(2024, 1, 1)
    for c in range(30):
        for k in range(c % 4 + 1):
            value = f'"¥1,{c:03d}.50"' if k % 2 else f"{10 + c}"
            rows.append(f"{c},{start + dt.timedelta(days=3 * c + 11 * k)},{value}")
    rows.append(f"99,{start},0")
    rows.append(f"99,{start + dt.timedelta(days=5)},0")  # a repeat purchase worth nothing: left out of the spend fit
    path.write_text("\n".join(rows), encoding="utf-8")
    result = json.loads(run("fit", "--transactions", str(path), "--customer-col", "id", "--date-col", "day",
                            "--amount-col", "amount", "--json"))
    assert result["customers"] == 31
    assert result["gamma_gamma"] is not None
    bad = tmp_path / "comma.csv"
    bad.write_text("id,day,amount\n1,2024-01-01,10\n1,2024-01-05,\"12,5\"\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Row 3.*“12,5” is not a number"):
        run("fit", "--transactions", str(bad), "--customer-col", "id", "--date-col", "day", "--amount-col", "amount")
