"""Insurance policies on the records layer: the standard suite (pages and API)."""

from datetime import date
from decimal import Decimal

from customers.records.testing import RecordSuite
from wealth.views_coverage import POLICY_PAGES

_FORM = {"insurer": "平安人寿", "policy_type": "life", "starts_on": "2024-01-01", "sum_insured": "500000",
         "premium": "6000", "currency": "CNY", "payment_mode": "annual", "status": "in_force"}


class TestPolicyRecords(RecordSuite):
    pages = POLICY_PAGES
    urls = {"add": "wealth:policy_add", "edit": "wealth:policy_edit", "delete": "wealth:policy_delete"}
    api_path = "/policies"
    record_data = {"insurer": "中国人寿", "policy_type": "medical", "starts_on": date(2024, 3, 1),
                   "sum_insured": Decimal("200000"), "premium": Decimal("1200")}
    add_form = {**_FORM, "policy_number": "P-1"}
    edit_form = {**_FORM, "policy_number": "P-2", "premium": "6500"}
    api_create = {"insurer": "太平洋保险", "policy_type": "accident", "starts_on": "2024-02-01",
                  "sum_insured": "100000.00", "premium": "300.00"}
    api_change = {"premium": "350.00", "notes": "续保"}
    queries = {"add": 6, "edit": 6, "delete": 5, "api list": 2, "api detail": 2}
