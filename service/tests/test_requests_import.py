"""Import of historical service requests (`kehu import requests`): the customer by external ID or
name, labels in either language, bad rows refused with nothing written, a second import skipping the
rows already imported, no SLA notification for closed history."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from service.models import ServiceRequest
from service.services_requests import sla_check

pytestmark = pytest.mark.django_db

HEADER = ["工单号", "客户", "主题", "类别", "优先级", "状态", "受理时间", "解决时间"]


def _file(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "requests.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    return path


def test_history_is_imported_once(tmp_path: Path, sales_a: Any, customer_a: Any, capsys: Any) -> None:
    path = _file(tmp_path, [
        ["T-1", "张伟", "洗衣机E4", "维修保养", "高", "已关闭", "2026-03-02 09:30", "2026-03-02 15:00"],
        ["T-2", "张伟", "Invoice title wrong", "billing", "low", "closed", "2026-04-01 10:00", ""],
        ["T-3", "张伟", "空调安装", "installation", "normal", "in_progress", "2026-05-01 10:00", ""],
    ])
    call_command("import", "requests", str(path), "--user", sales_a.username)
    rows = {r.external_id: r for r in ServiceRequest.objects.all()}
    assert set(rows) == {"T-1", "T-2", "T-3"}
    first = rows["T-1"]
    assert (first.customer, first.category, first.priority, first.status) == (customer_a, "repair", "high", "closed")
    assert first.closed_at is not None and first.resolved_at > first.received_at
    assert rows["T-3"].status == "in_progress" and rows["T-3"].closed_at is None
    # Closed history raises no SLA notification; the open one does, as any late request.
    assert sla_check() == {"warned": 0, "escalated": 1}
    capsys.readouterr()
    call_command("import", "requests", str(path), "--user", sales_a.username)
    assert ServiceRequest.objects.count() == 3


def test_bad_rows_write_nothing(tmp_path: Path, sales_a: Any, sales_b: Any, customer_a: Any, customer_b: Any) -> None:
    path = _file(tmp_path, [
        ["T-1", "张伟", "洗衣机E4", "repair", "urgent", "closed", "2026-03-02 09:30", "2026-03-01 09:00"],
        ["T-2", "李娜", "别的团队的客户", "repair", "urgent", "closed", "2026-03-02 09:30", ""],
        ["T-3", "张伟", "未知优先级", "repair", "whenever", "closed", "2026-03-02 09:30", ""],
    ])
    with pytest.raises(CommandError):
        call_command("import", "requests", str(path), "--user", sales_a.username)
    assert not ServiceRequest.objects.exists()
