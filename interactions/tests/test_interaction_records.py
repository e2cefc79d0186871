"""Interactions and follow-up tasks on the records layer: the standard suite for interactions
(pages with list and detail, and API) and for follow-up tasks (API; ticking off is a domain action
with its own view and operation)."""

import datetime as dt

from django.utils import timezone

from customers.records.testing import RecordSuite
from interactions import services
from interactions.views import INTERACTION_PAGES

TOMORROW = timezone.localdate() + dt.timedelta(days=1)


class TestInteractionRecords(RecordSuite):
    pages = INTERACTION_PAGES
    urls = {"add": "interactions:interaction_add", "edit": "interactions:interaction_edit",
            "delete": "interactions:interaction_delete", "detail": "interactions:interaction_detail",
            "list": "interactions:interaction_list"}
    api_path = "/interactions"
    record_data = {"channel": "phone", "direction": "inbound", "subject": "咨询理财产品"}
    add_form = {"channel": "wechat", "direction": "inbound", "occurred_at": "2024-05-01T10:00", "subject": "问基金赎回"}
    edit_form = {"channel": "wechat", "direction": "inbound", "occurred_at": "2024-05-01T10:00", "subject": "问赎回费"}
    api_create = {"channel": "email", "subject": "发送季度报告"}
    api_change = {"outcome": "客户已读"}
    queries = {"add": 8, "edit": 7, "delete": 5, "detail": 6, "list": 5, "api list": 2, "api detail": 2}


class TestFollowUpRecords(RecordSuite):
    kind = services.FOLLOW_UPS
    api_path = "/follow-ups"
    record_data = {"title": "电话回访", "due_on": TOMORROW}
    api_create = {"title": "准备基金对比表", "due_on": TOMORROW.isoformat()}
    api_change = {"title": "准备产品对比表"}
    queries = {"api list": 2, "api detail": 2}
