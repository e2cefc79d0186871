"""Service requests on the records layer: the standard suite (pages and API: scope, rights, audit, no
lost update, query counts)."""

from customers.records.testing import RecordSuite
from service.views_requests import REQUEST_PAGES

_FORM = {"subject": "洗衣机显示E4错误", "category": "repair", "priority": "high", "description": "脱水时报错",
         "order": ""}


class TestServiceRequestRecords(RecordSuite):
    pages = REQUEST_PAGES
    urls = {"edit": "service:request_edit", "delete": "service:request_delete", "detail": "service:request_detail",
            "list": "service:request_list"}
    api_path = "/service-requests"
    record_data = {"subject": "空调安装预约", "category": "installation"}
    edit_form = _FORM
    other_edit_form = {**_FORM, "subject": "洗衣机无法脱水", "priority": "urgent"}
    api_create = {"subject": "发票开错了", "category": "billing", "priority": "low"}
    api_change = {"subject": "发票抬头开错了", "description": "需要红冲重开"}
    other_api_change = {"subject": "发票税号开错了"}
    queries = {"edit": 6, "delete": 5, "detail": 10, "list": 5, "api list": 2, "api detail": 2}
