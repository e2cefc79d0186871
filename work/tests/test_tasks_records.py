"""Tasks on the records layer: the standard suite (pages and API: scope, rights, audit, no lost
update, query counts)."""

from datetime import timedelta

from django.utils import timezone

from customers.records.testing import RecordSuite
from work.views_tasks import TASK_PAGES

TOMORROW = timezone.localdate() + timedelta(days=1)


def _form(title: str, **more: str) -> dict[str, str]:
    return {"title": title, "description": "", "due_on": TOMORROW.isoformat(), "due_time": "", "priority": "normal",
            "assignee": "", "team": "", "remind_at": "", "recurrence": "none", "recurrence_interval": "1",
            "recurrence_until": "", "recurrence_count": "", **more}


class TestTaskRecords(RecordSuite):
    pages = TASK_PAGES
    urls = {"add": "work:task_add", "edit": "work:task_edit", "delete": "work:task_delete"}
    api_path = "/tasks"
    record_data = {"title": "电话回访", "due_on": TOMORROW}
    add_form = _form("准备基金对比表", priority="high")
    edit_form = _form("准备产品对比表", due_time="15:30", recurrence="weekly")
    api_create = {"title": "寄送产品说明书", "due_on": TOMORROW.isoformat(), "priority": "urgent"}
    api_change = {"title": "寄送说明书", "description": "快递"}
    queries = {"add": 6, "edit": 6, "delete": 4, "api list": 2, "api detail": 2}
