"""The tasks part of the REST API: `/tasks` (records layer: list, create, read, PATCH, delete) and
the task actions done, take and cancel.

Same rules as the pages: scoped through the customer, writes through work.services_tasks
(permission, validation, audit with source "api"); out of scope is 404, seen but not allowed 403.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from accounts.models import User
from core.api import ERROR_RESPONSES, InSchema, cursor_page_schema
from customers.records.api import RecordApi
from work import selectors_tasks as selectors
from work import services_tasks as services
from work.models import Recurrence, Task, TaskPriority, TaskStatus

router = Router()

PriorityChoice = Literal[tuple(TaskPriority.values)]  # type: ignore[valid-type]
StatusChoice = Literal[tuple(TaskStatus.values)]  # type: ignore[valid-type]
RecurrenceChoice = Literal[tuple(Recurrence.values)]  # type: ignore[valid-type]
WhoseChoice = Literal["mine", "team", "all"]
RecordType = Annotated[str, Field(max_length=100, description='The linked record\'s kind, "app.model", e.g. '
                                                              '"interactions.interaction" or "commerce.order".')]
Title = Annotated[str, Field(max_length=200, min_length=1)]
Text = Annotated[str, Field(max_length=20_000)]
Positive = Annotated[int, Field(ge=1, le=1000)]
SlotMinutes = Annotated[int, Field(ge=5, le=720)]


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class TaskIn(InSchema):
    customer: int = Field(description="Customer id.")
    title: Title
    description: Text = ""
    due_on: date | None = Field(None, description="The due day (an all-day task); needed unless due_at is given.")
    due_at: datetime | None = Field(None, description="The due time, with its offset; its day becomes due_on.")
    priority: PriorityChoice = "normal"  # type: ignore[valid-type]
    assignee: int | None = Field(None, description="User id; default: you, unless a team's queue is given.")
    team: int | None = Field(None, description="Team id: the task waits in that team's queue until taken.")
    record_type: RecordType | None = None
    record_id: int | None = Field(None, description="The linked record's id (a record of the same customer).")
    remind_at: datetime | None = None
    recurrence: RecurrenceChoice = "none"  # type: ignore[valid-type]
    recurrence_interval: Positive = 1
    recurrence_until: date | None = None
    recurrence_count: Positive | None = Field(None, description="Occurrences in all, the first included.")
    duration_minutes: SlotMinutes | None = Field(
        None, description="With due_at: the task holds this many minutes of the assignee's calendar (5–720).")
    save_anyway: bool = Field(False, description="Save although the slot overlaps the assignee's other plans.")


class TaskPatchIn(InSchema):
    title: Title | None = None
    description: Text | None = None
    due_on: date | None = None
    due_at: datetime | None = Field(None, description="null: an all-day task.")
    priority: PriorityChoice | None = None  # type: ignore[valid-type]
    assignee: int | None = None
    team: int | None = None
    record_type: RecordType | None = None
    record_id: int | None = None
    remind_at: datetime | None = None
    recurrence: RecurrenceChoice | None = None  # type: ignore[valid-type]
    recurrence_interval: Positive | None = None
    recurrence_until: date | None = None
    recurrence_count: Positive | None = None
    duration_minutes: SlotMinutes | None = None
    save_anyway: bool = False


class TaskOut(Schema):
    id: int
    customer: int
    title: str
    description: str
    due_on: date
    due_at: datetime | None
    priority: str
    status: str
    done_at: datetime | None
    assignee: int | None
    team: int | None
    record_type: str | None
    record_id: int | None
    remind_at: datetime | None
    recurrence: str
    recurrence_interval: int
    recurrence_until: date | None
    recurrence_count: int | None
    occurrence: int
    duration_minutes: int | None
    conflict_noted: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_customer(obj: Task) -> int:
        return obj.customer_id

    @staticmethod
    def resolve_assignee(obj: Task) -> int | None:
        return obj.assignee_id

    @staticmethod
    def resolve_team(obj: Task) -> int | None:
        return obj.team_id

    @staticmethod
    def resolve_record_type(obj: Task) -> str | None:
        ctype = obj.record_type
        return f"{ctype.app_label}.{ctype.model}" if ctype is not None else None


TaskPage = cursor_page_schema(TaskOut, "TaskPage")


class TaskFilters(Schema):
    whose: WhoseChoice | None = Field(None, description="mine: assigned to you; team: waiting in your team's "
                                                        "queue; all (default): every task you may see.")
    customer: int | None = None
    assignee: int | None = Field(None, description="User id.")
    team: int | None = Field(None, description="Team id (the queue the task is or was in).")
    queue: bool | None = Field(None, description="true: waiting in a queue, not taken yet.")
    status: StatusChoice | None = None  # type: ignore[valid-type]
    due_from: date | None = None
    due_to: date | None = None
    cursor: Annotated[str, Field(max_length=1000)] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


def _read(user: User, pk: int) -> Task:
    return Task.objects.restrict(user, "view").select_related("record_type").get(pk=pk)


RecordApi(
    kind=services.TASKS, path="/tasks", name="task", module=__name__, tags=["tasks"], id_param="task_id",
    out=TaskOut, page=TaskPage, filters=TaskFilters, list_selector=selectors.task_list, create_in=TaskIn,
    patch_in=TaskPatchIn, read=_read,
    nullable=("due_at", "assignee", "team", "record_type", "record_id", "remind_at", "recurrence_until",
              "recurrence_count", "duration_minutes"),
    defaults=("due_on", "due_at", "assignee", "team", "record_type", "record_id"), blank_is_null=(),
    summaries={"list": "List tasks (earliest due first)", "create": "Create a task", "detail": "Read a task",
               "update": "Change a task", "delete": "Delete a task"},
).register(router)


class DoneIn(InSchema):
    done: bool = True


class CancelIn(InSchema):
    cancelled: bool = True


def _act(request: HttpRequest, task_id: int, action: Any, **kwargs: Any) -> Task:
    user = _user(request)
    _read(user, task_id)  # 404 outside the caller's scope
    action(actor=user, task_id=task_id, **kwargs)
    return _read(user, task_id)


@router.post("/tasks/{int:task_id}/done", response={200: TaskOut, **ERROR_RESPONSES}, tags=["tasks"],
             summary="Tick a task off (or reopen it with done=false)")
def task_done(request: HttpRequest, task_id: int, payload: DoneIn) -> Task:
    return _act(request, task_id, services.task_done, done=payload.done)


@router.post("/tasks/{int:task_id}/take", response={200: TaskOut, **ERROR_RESPONSES}, tags=["tasks"],
             summary="Take a task from your team's queue")
def task_take(request: HttpRequest, task_id: int) -> Task:
    return _act(request, task_id, services.task_take)


@router.post("/tasks/{int:task_id}/cancel", response={200: TaskOut, **ERROR_RESPONSES}, tags=["tasks"],
             summary="Cancel a task (or reopen a cancelled one with cancelled=false)")
def task_cancel(request: HttpRequest, task_id: int, payload: CancelIn) -> Task:
    return _act(request, task_id, services.task_cancel, cancelled=payload.cancelled)
