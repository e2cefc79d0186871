"""`kehu segments refresh` and `kehu segments export`."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from audit.models import AccessLog
from segmentation.models import CustomerSegment
from segmentation.tests.history import AS_OF, History, day

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    # the messages are checked in English (the Chinese ones are in the catalogue)
    with translation.override("en"):
        yield


@pytest.fixture
def h(sales_a):  # noqa: ANN001
    return History(sales_a)


def read(path) -> list[dict]:  # noqa: ANN001
    with open(path, encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_refresh_command_prints_phases_and_classes(h):
    c = h.customer()
    h.orders(c, -3, margin="10")
    out = io.StringIO()
    call_command("segments", "refresh", "--as-of", AS_OF.isoformat(), stdout=out)
    assert "1 customers" in out.getvalue() and "abc_tier: A 1" in out.getvalue()
    assert CustomerSegment.objects.get(customer=c).as_of == AS_OF


def test_export_one_row_per_customer_with_every_scheme(h, tmp_path, monkeypatch):
    monkeypatch.setattr("segmentation.export.CHUNK", 2)  # several keyset chunks
    customers = h.customers(5)
    customers[0].external_id = "EXT-1"
    customers[0].save(update_fields=["external_id"])
    h.orders(customers[0], -3, -4, margin="10", revenue="50")
    h.cost(customers[1], -2, "5")
    call_command("segments", "refresh", "--as-of", AS_OF.isoformat(), stdout=io.StringIO())
    path = tmp_path / "segments.csv"
    call_command("segments", "export", str(path), stdout=io.StringIO())
    rows = read(path)
    assert [int(r["customer_id"]) for r in rows] == [c.pk for c in customers]
    first = rows[0]
    assert first["external_id"] == "EXT-1"
    assert (first["abc_tier"], first["profit"], first["loss_making"], first["frequency"], first["monetary"]) == (
        "A", "20.00", "0", "2", "100.00")
    assert (first["recency_days"], first["r_score"], first["rfm_segment"], first["lifecycle_stage"]) == (
        "3", "1", "hibernating", "repeat")
    assert (first["loyalty"], first["as_of"]) == ("old", AS_OF.isoformat())
    assert rows[1]["loss_making"] == "1" and rows[1]["rfm_segment"] == "no_recent_purchase"
    assert rows[1]["r_score"] == "" and rows[1]["value_class"]
    assert AccessLog.objects.filter(action="export").count() == 1


def test_export_as_of_another_day_recomputes_first(h, tmp_path):
    c = h.customer()
    h.orders(c, -3)
    call_command("segments", "refresh", "--as-of", AS_OF.isoformat(), stdout=io.StringIO())
    path = tmp_path / "old.csv"
    out = io.StringIO()
    call_command("segments", "export", str(path), "--as-of", day(-10).isoformat(), stdout=out)
    assert "Recomputing" in out.getvalue()
    assert read(path)[0]["lifecycle_stage"] == "potential"
    assert read(path)[0]["as_of"] == day(-10).isoformat()


@pytest.mark.parametrize(("args", "message"), [
    (["refresh", "--as-of", "2026-13-01"], "Not a date"),
    (["refresh", "--as-of", "2999-01-01"], "future"),
    (["export", "/no/such/folder/x.csv"], "does not exist"),
    (["export", "segments.xlsx"], "CSV"),
])
def test_clear_errors(db, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("segments", *args, stdout=io.StringIO())
