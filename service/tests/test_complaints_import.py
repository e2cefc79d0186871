"""Historical complaints through the import framework: deadlines set, history not alarmed, flags refreshed,
bad rows reported and nothing half-applied."""

import csv

import pytest
from django.utils import translation

from dataio import services
from dataio.models import ImportStatus
from service import sla
from service.complaint_workflow import ComplaintState as S
from service.models.complaints import Complaint, FailureFlag
from service.services_complaints import sla_sweep

pytestmark = pytest.mark.django_db

ROWS = [
    ["投诉编号", "客户编号", "渠道", "类别", "严重程度", "受理时间", "投诉内容", "状态", "解决时间", "根本原因"],
    ["T1", "C1", "电话", "账单与费用", "高", "2025-03-05 10:00", "手续费扣错", "已结案", "2025-03-06 10:00",
     "流程缺陷"],
    ["T2", "C1", "wechat", "delivery", "low", "2025-04-01 09:00", "合同寄送延误", "received", "", ""],
]


def _run(user, tmp_path, rows):
    path = tmp_path / "complaints.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    with translation.override("en"):
        job = services.import_file(actor=user, kind="complaints", path=path)
    job.refresh_from_db()
    return job


def test_import_historical_complaints(sales_a, make_customer, tmp_path):
    customer = make_customer(sales_a, name="王小明", external_id="C1")
    job = _run(sales_a, tmp_path, ROWS)
    assert job.status == ImportStatus.DONE, job.report
    closed = Complaint.objects.get(external_id="T1")
    assert closed.state == S.CLOSED and closed.category == "billing" and closed.severity == "high"
    assert closed.root_cause == "process"
    assert closed.minutes_to_resolve == sla.business_minutes_between(start=closed.received_at, end=closed.resolved_at)
    assert closed.acknowledge_by > closed.received_at and closed.owner == sales_a
    # An old open complaint is history: the job does not escalate it, but it flags the customer.
    assert sla_sweep() == {"warned": 0, "escalated": 0}
    assert "complaint" in FailureFlag.objects.get(customer=customer).sources


def test_bad_rows_are_reported_and_nothing_written(sales_a, make_customer, tmp_path):
    make_customer(sales_a, name="王小明", external_id="C1")
    job = _run(sales_a, tmp_path, [ROWS[0], ROWS[1], ["T3", "C404", "phone", "billing", "high", "2025-01-01", "x",
                                                      "received", "", ""]])
    assert job.status != ImportStatus.DONE or job.report["errors"]
    assert not Complaint.objects.exists()
