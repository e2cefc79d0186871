"""The interactions part of the REST API: interactions on every channel and follow-up tasks.

Same rules as the pages: scoped through the customer, writes through interactions.services
(permission, validation, audit with source "api"); out of scope is 404, seen but not changeable 403.
"""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from accounts.models import User
from core.api import ERROR_RESPONSES, ApiValidationError, InSchema, cursor_page_schema, cursor_sign, cursor_unsign
from customers.selectors import customers_visible
from interactions import selectors, services
from interactions.choices import Direction, InteractionChannel
from interactions.models import FollowUpTask, Interaction

router = Router()

ChannelChoice = Literal[tuple(InteractionChannel.values)]  # type: ignore[valid-type]
DirectionChoice = Literal[tuple(Direction.values)]  # type: ignore[valid-type]


def _str(max_length: int, min_length: int = 0) -> Any:
    return Annotated[str, Field(max_length=max_length, min_length=min_length)]


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _customer_in_body(user: User, customer_id: int) -> None:
    if not customers_visible(user).filter(pk=customer_id).exists():
        raise ApiValidationError.field(["body", "customer"], _("No customer with this id."), "not_found")


def _page(page: Any, scope: str) -> dict[str, Any]:
    return {"items": page.items, "next_cursor": cursor_sign(page.next_cursor, scope),
            "previous_cursor": cursor_sign(page.previous_cursor, scope)}


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


def _interaction(user: User, interaction_id: int) -> Interaction:
    return Interaction.objects.restrict(user, "view").get(pk=interaction_id)


def _external(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("external_id") == "":
        data["external_id"] = None
    return data


@router.get("/interactions", response={200: InteractionPage, **ERROR_RESPONSES}, tags=["interactions"],
            summary="List interactions")
def interaction_list(request: HttpRequest, filters: Query[InteractionFilters]) -> dict[str, Any]:
    values = filters.model_dump()
    cursor = cursor_unsign(values.pop("cursor"), "interactions")
    size = values.pop("limit")
    try:
        page = selectors.interaction_list(user=_user(request), filters=values, cursor=cursor, size=size)
    except ValidationError as exc:
        raise ApiValidationError.field(["query", "cursor"], str(exc.messages[0]), "invalid_cursor") from exc
    return _page(page, "interactions")


@router.post("/interactions", response={201: InteractionOut, **ERROR_RESPONSES}, tags=["interactions"],
             summary="Record an interaction (optionally with a follow-up task)")
def interaction_create(request: HttpRequest, payload: InteractionIn) -> Status[Interaction]:
    user = _user(request)
    data = payload.model_dump()
    customer_id, follow_up = data.pop("customer"), data.pop("follow_up")
    _customer_in_body(user, customer_id)
    for key in ("occurred_at", "staff"):
        if data[key] is None:
            data.pop(key)
    obj = services.interaction_create(actor=user, customer_id=customer_id, data=_external(data), follow_up=follow_up)
    return Status(201, _interaction(user, obj.pk))


@router.get("/interactions/{int:interaction_id}", response={200: InteractionOut, **ERROR_RESPONSES},
            tags=["interactions"], summary="Read an interaction")
def interaction_detail(request: HttpRequest, interaction_id: int) -> Interaction:
    return _interaction(_user(request), interaction_id)


@router.patch("/interactions/{int:interaction_id}", response={200: InteractionOut, **ERROR_RESPONSES},
              tags=["interactions"], summary="Change an interaction")
def interaction_update(request: HttpRequest, interaction_id: int, payload: InteractionPatchIn) -> Interaction:
    user = _user(request)
    _interaction(user, interaction_id)
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items()
            if v is not None or k in ("external_id", "staff", "contact")}
    services.interaction_update(actor=user, interaction_id=interaction_id, data=_external(data))
    return _interaction(user, interaction_id)


@router.delete("/interactions/{int:interaction_id}", response={204: None, **ERROR_RESPONSES},
               tags=["interactions"], summary="Delete an interaction")
def interaction_delete(request: HttpRequest, interaction_id: int) -> Status[None]:
    user = _user(request)
    _interaction(user, interaction_id)
    services.interaction_delete(actor=user, interaction_id=interaction_id)
    return Status(204, None)


# --- Follow-up tasks -----------------------------------------------------------------------------

class TaskIn(FollowUpIn):
    customer: int = Field(description="Customer id.")
    interaction: int | None = Field(None, description="The interaction that spawned it, optional.")


class TaskPatchIn(InSchema):
    title: _str(200, 1) | None = None  # type: ignore[valid-type]
    due_on: date | None = None
    assignee: int | None = None


class DoneIn(InSchema):
    done: bool = True


class TaskOut(Schema):
    id: int
    customer: int
    interaction: int | None
    title: str
    due_on: date
    assignee: int
    done_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_customer(obj: FollowUpTask) -> int:
        return obj.customer_id

    @staticmethod
    def resolve_interaction(obj: FollowUpTask) -> int | None:
        return obj.interaction_id

    @staticmethod
    def resolve_assignee(obj: FollowUpTask) -> int:
        return obj.assignee_id


TaskPage = cursor_page_schema(TaskOut, "TaskPage")


class TaskFilters(Schema):
    customer: int | None = None
    assignee: int | None = Field(None, description="User id; `me` is not needed: pass your own id.")
    open: bool | None = Field(None, description="true: not done yet; false: done.")
    cursor: _str(1000) | None = None  # type: ignore[valid-type]
    limit: Annotated[int, Field(ge=1, le=200)] = 50


def _task(user: User, task_id: int) -> FollowUpTask:
    return FollowUpTask.objects.restrict(user, "view").get(pk=task_id)


@router.get("/follow-ups", response={200: TaskPage, **ERROR_RESPONSES}, tags=["follow-ups"],
            summary="List follow-up tasks (earliest due first)")
def follow_up_list(request: HttpRequest, filters: Query[TaskFilters]) -> dict[str, Any]:
    values = filters.model_dump()
    cursor = cursor_unsign(values.pop("cursor"), "follow-ups")
    size = values.pop("limit")
    try:
        page = selectors.follow_up_list(user=_user(request), filters=values, cursor=cursor, size=size)
    except ValidationError as exc:
        raise ApiValidationError.field(["query", "cursor"], str(exc.messages[0]), "invalid_cursor") from exc
    return _page(page, "follow-ups")


@router.post("/follow-ups", response={201: TaskOut, **ERROR_RESPONSES}, tags=["follow-ups"],
             summary="Create a follow-up task")
def follow_up_create(request: HttpRequest, payload: TaskIn) -> Status[FollowUpTask]:
    user = _user(request)
    data = payload.model_dump()
    customer_id, interaction_id = data.pop("customer"), data.pop("interaction")
    _customer_in_body(user, customer_id)
    task = services.follow_up_create(actor=user, customer_id=customer_id, data=data, interaction_id=interaction_id)
    return Status(201, _task(user, task.pk))


@router.get("/follow-ups/{int:task_id}", response={200: TaskOut, **ERROR_RESPONSES}, tags=["follow-ups"],
            summary="Read a follow-up task")
def follow_up_detail(request: HttpRequest, task_id: int) -> FollowUpTask:
    return _task(_user(request), task_id)


@router.patch("/follow-ups/{int:task_id}", response={200: TaskOut, **ERROR_RESPONSES}, tags=["follow-ups"],
              summary="Change a follow-up task")
def follow_up_update(request: HttpRequest, task_id: int, payload: TaskPatchIn) -> FollowUpTask:
    user = _user(request)
    _task(user, task_id)
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    services.follow_up_update(actor=user, task_id=task_id, data=data)
    return _task(user, task_id)


@router.post("/follow-ups/{int:task_id}/done", response={200: TaskOut, **ERROR_RESPONSES}, tags=["follow-ups"],
             summary="Tick a follow-up task off (or reopen it with done=false)")
def follow_up_done(request: HttpRequest, task_id: int, payload: DoneIn) -> FollowUpTask:
    user = _user(request)
    _task(user, task_id)
    services.follow_up_done(actor=user, task_id=task_id, done=payload.done)
    return _task(user, task_id)


@router.delete("/follow-ups/{int:task_id}", response={204: None, **ERROR_RESPONSES}, tags=["follow-ups"],
               summary="Delete a follow-up task")
def follow_up_delete(request: HttpRequest, task_id: int) -> Status[None]:
    user = _user(request)
    _task(user, task_id)
    services.follow_up_delete(actor=user, task_id=task_id)
    return Status(204, None)
