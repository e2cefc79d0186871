"""Task pages: "My tasks" (the list), add / edit / delete on the records layer
(customers.records), and the domain actions done, take and cancel with small views of their own."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.http import safe_next
from core.middleware import is_htmx
from customers.records.views import RecordPages
from work import selectors_tasks as selectors
from work import services_tasks as services
from work.forms_tasks import TaskFilterForm, TaskForm
from work.models import Task


def _add_initial(request: HttpRequest, customer: Any) -> dict[str, Any]:
    return {"due_on": timezone.localdate()}


def _list_context(request: HttpRequest, customer: Any, obj: Any) -> dict[str, Any]:
    return {"today": timezone.localdate(), "now": timezone.now()}


TASK_PAGES = RecordPages(
    kind=services.TASKS, form=TaskForm, tab="profile", object_name="task",
    list_template="work/tasks/task_list.html",
    title_add=gettext_lazy("New task"), title_edit=gettext_lazy("Edit task"),
    added_message=gettext_lazy("Task saved."), saved_message=gettext_lazy("Task saved."),
    deleted_message=gettext_lazy("Task deleted."),
    delete_question=gettext_lazy("Delete the task “%(title)s”?"),
    delete_explanation=gettext_lazy("It disappears from every list; the history keeps a record."),
    label_params=lambda task: {"title": task.title},
    error_aliases={"due_at": "due_time"},
    filter_form=TaskFilterForm, list_selector=selectors.task_list, add_initial=_add_initial,
    extra_context=_list_context,
)

task_list = TASK_PAGES.view("list")
task_add = TASK_PAGES.view("add")
task_edit = TASK_PAGES.view("edit")
task_delete = TASK_PAGES.view("delete")

_DONE_MESSAGES = {
    "done": gettext_lazy("“%(task)s” done."),
    "reopened": gettext_lazy("“%(task)s” reopened."),
    "taken": gettext_lazy("“%(task)s” is now yours."),
    "cancelled": gettext_lazy("“%(task)s” cancelled."),
}


def _action(request: HttpRequest, pk: int, act: Any, outcome: str, **kwargs: Any) -> HttpResponse:
    """Run a task action; from an htmx list the row is replaced by nothing, otherwise back to `next`."""
    user = request.user
    if not Task.objects.restrict(user, "view").filter(pk=pk).exists():
        raise Http404
    try:
        task = act(actor=user, task_id=pk, **kwargs)
    except ValidationError as exc:
        if is_htmx(request):
            return HttpResponse(" ".join(exc.messages), status=409)
        messages.error(request, " ".join(exc.messages))
    else:
        if is_htmx(request):
            return HttpResponse("")
        messages.success(request, _DONE_MESSAGES[outcome] % {"task": task.title})
    return redirect(safe_next(request, request.POST.get("next")) or reverse("work:task_list"))


@login_required
@require_POST
def task_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Tick a task off (or reopen it with done=0)."""
    done = request.POST.get("done", "1") != "0"
    return _action(request, pk, services.task_done, "done" if done else "reopened", done=done)


@login_required
@require_POST
def task_take(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(request, pk, services.task_take, "taken")


@login_required
@require_POST
def task_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(request, pk, services.task_cancel, "cancelled")
