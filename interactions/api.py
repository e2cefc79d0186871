"""The interactions part of the REST API: interactions on every channel and follow-up tasks
(`/follow-ups`: the tasks of the work app linked to an interaction, with the fields they always had;
`/tasks` has all of them).

Same rules as the pages: scoped through the customer, writes through interactions.services
(permission, validation, audit with source "api"); out of scope is 404, seen but not changeable 403.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from accounts.models import User
from core.api import ERROR_RESPONSES, InSchema, cursor_page_schema
from customers.records.api import RecordApi
from interactions import selectors, services
from interactions.choices import Direction, InteractionChannel
from interactions.models import Interaction
from work.models import Task

router = Router()

ChannelChoice = Literal[tuple(InteractionChannel.values)]  # type: ignore[valid-type]
DirectionChoice = Literal[tuple(Direction.values)]  # type: ignore[valid-type]


def _str(max_length: int, min_length: int = 0) -> Any:
    return Annotated[str, Field(max_length=max_length, min_length=min_length)]


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


class FollowUpIn(InSchema):
    title: _str(200, 1)  # type: ignore[valid-type]
    due_on: date
    assignee: int | None = Field(None, description="User id; default: you.")


class InteractionIn(InSchema):
    customer: int = Field(description="Customer id.")
    channel: ChannelChoice  # type: ignore[valid-type]
    direction: DirectionChoice = "outbound"  # type: ignore[valid-type]
    occurred_at: datetime | None = Field(None, description="Default: now.")
    staff: int | None = Field(None, description="User id of the staff member; default: you.")
    contact: int | None = Field(None, description="Contact person id of the same customer.")
    subject: _str(200, 1)  # type: ignore[valid-type]
    content: _str(20_000) = ""  # type: ignore[valid-type]
    outcome: _str(500) = ""  # type: ignore[valid-type]
    external_id: _str(64) | None = None  # type: ignore[valid-type]
    follow_up: FollowUpIn | None = Field(None, description="Creates a follow-up task with the interaction.")


class InteractionPatchIn(InSchema):
    channel: ChannelChoice | None = None  # type: ignore[valid-type]
    direction: DirectionChoice | None = None  # type: ignore[valid-type]
    occurred_at: datetime | None = None
    staff: int | None = None
    contact: int | None = None
    subject: _str(200, 1) | None = None  # type: ignore[valid-type]
    content: _str(20_000) | None = None  # type: ignore[valid-type]
    outcome: _str(500) | None = None  # type: ignore[valid-type]
    external_id: _str(64) | None = None  # type: ignore[valid-type]


class InteractionOut(Schema):
    id: int
    customer: int
    channel: str
    direction: str
    occurred_at: datetime
    staff: int | None
    contact: int | None
    subject: str
    content: str
    outcome: str
    external_id: str | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_customer(obj: Interaction) -> int:
        return obj.customer_id

    @staticmethod
    def resolve_staff(obj: Interaction) -> int | None:
        return obj.staff_id

    @staticmethod
    def resolve_contact(obj: Interaction) -> int | None:
        return obj.contact_id


InteractionPage = cursor_page_schema(InteractionOut, "InteractionPage")


class InteractionFilters(Schema):
    customer: int | None = None
    channel: ChannelChoice | None = None  # type: ignore[valid-type]
    direction: DirectionChoice | None = None  # type: ignore[valid-type]
    staff: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: _str(100) | None = Field(None, description="Subject or customer name contains.")  # type: ignore[valid-type]
    cursor: _str(1000) | None = None  # type: ignore[valid-type]
    limit: Annotated[int, Field(ge=1, le=200)] = 50


RecordApi(
    kind=services.INTERACTIONS, path="/interactions", name="interaction", module=__name__, tags=["interactions"],
    id_param="interaction_id", out=InteractionOut, page=InteractionPage, filters=InteractionFilters,
    list_selector=selectors.interaction_list, create_in=InteractionIn, patch_in=InteractionPatchIn,
    nullable=("external_id", "staff", "contact"), defaults=("occurred_at", "staff"),
    create_extra={"follow_up": "follow_up"},
    summaries={"list": "List interactions", "create": "Record an interaction (optionally with a follow-up task)",
               "detail": "Read an interaction", "update": "Change an interaction", "delete": "Delete an interaction"},
).register(router)


# --- Follow-up tasks -----------------------------------------------------------------------------

class FollowUpTaskIn(FollowUpIn):
    customer: int = Field(description="Customer id.")
    interaction: int | None = Field(None, description="The interaction that spawned it, optional.")


class FollowUpPatchIn(InSchema):
    title: _str(200, 1) | None = None  # type: ignore[valid-type]
    due_on: date | None = None
    assignee: int | None = None


class FollowUpDoneIn(InSchema):
    done: bool = True


class FollowUpOut(Schema):
    id: int
    customer: int
    interaction: int | None
    title: str
    due_on: date
    assignee: int | None = Field(description="User id; null while the task waits in a team's queue.")
    done_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_customer(obj: Task) -> int:
        return obj.customer_id

    @staticmethod
    def resolve_interaction(obj: Task) -> int | None:
        return obj.record_id if obj.record_type_id is not None and obj.record_type.model == "interaction" else None

    @staticmethod
    def resolve_assignee(obj: Task) -> int | None:
        return obj.assignee_id


FollowUpPage = cursor_page_schema(FollowUpOut, "FollowUpPage")


class FollowUpFilters(Schema):
    customer: int | None = None
    assignee: int | None = Field(None, description="User id; `me` is not needed: pass your own id.")
    open: bool | None = Field(None, description="true: not done yet; false: done.")
    cursor: _str(1000) | None = None  # type: ignore[valid-type]
    limit: Annotated[int, Field(ge=1, le=200)] = 50


def _task(user: User, task_id: int) -> Task:
    return Task.objects.restrict(user, "view").select_related("record_type").get(pk=task_id)


RecordApi(
    kind=services.FOLLOW_UPS, read=_task, path="/follow-ups", name="follow_up", module=__name__, tags=["follow-ups"],
    id_param="task_id", out=FollowUpOut, page=FollowUpPage, filters=FollowUpFilters,
    list_selector=selectors.follow_up_list,
    create_in=FollowUpTaskIn, patch_in=FollowUpPatchIn, nullable=(), create_extra={"interaction": "interaction_id"},
    summaries={"list": "List follow-up tasks (earliest due first)", "create": "Create a follow-up task",
               "detail": "Read a follow-up task", "update": "Change a follow-up task",
               "delete": "Delete a follow-up task"},
).register(router)


@router.post("/follow-ups/{int:task_id}/done", response={200: FollowUpOut, **ERROR_RESPONSES}, tags=["follow-ups"],
             summary="Tick a follow-up task off (or reopen it with done=false)")
def follow_up_done(request: HttpRequest, task_id: int, payload: FollowUpDoneIn) -> Task:
    user = _user(request)
    _task(user, task_id)
    services.follow_up_done(actor=user, task_id=task_id, done=payload.done)
    return _task(user, task_id)
