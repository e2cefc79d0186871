"""The notifications part of the REST API: the caller's own inbox and e-mail preferences.

Everything here is about the caller: another user's notification is a 404, whatever the role."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from core.api import ERROR_RESPONSES, InSchema, cursor_page_schema, cursor_sign, cursor_unsign
from core.pagination import KeysetPage
from work import selectors_notifications as selectors
from work import services_notifications as services
from work.models import Notification

router = Router(tags=["notifications"])
_CURSOR_SCOPE = "notifications"


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


class NotificationOut(Schema):
    id: int
    event: str
    title: str = Field(description="Empty when the notification is about a customer you no longer see.")
    summary: str
    url: str
    created_at: datetime
    read_at: datetime | None

    @staticmethod
    def resolve_title(obj: Notification) -> str:
        return obj.title if getattr(obj, "customer_visible", True) else ""

    @staticmethod
    def resolve_summary(obj: Notification) -> str:
        return obj.summary if getattr(obj, "customer_visible", True) else ""


NotificationPage = cursor_page_schema(NotificationOut, "NotificationPage")


class InboxFilters(Schema):
    unread: bool = Field(False, description="Only unread notifications.")
    cursor: Annotated[str, Field(max_length=1000)] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class UnreadOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int


class PreferenceOut(Schema):
    event: str
    label: str
    email: bool
    email_default: bool


class PreferencesIn(InSchema):
    email: dict[str, bool] = Field(description="Event key → whether you get it by e-mail (the inbox always does).")


def _page(page: KeysetPage, scope: str) -> dict[str, Any]:
    return {"items": page.items, "next_cursor": cursor_sign(page.next_cursor, scope),
            "previous_cursor": cursor_sign(page.previous_cursor, scope)}


@router.get("/notifications", response={200: NotificationPage, **ERROR_RESPONSES},
            summary="List your notifications, newest first (keyset cursor)")
def notification_list(request: HttpRequest, filters: Query[InboxFilters]) -> dict[str, Any]:
    scope = f"{_CURSOR_SCOPE}:{int(filters.unread)}"
    page = selectors.inbox_page(user=_user(request), unread_only=filters.unread,
                                cursor=cursor_unsign(filters.cursor, scope), size=filters.limit)
    return _page(page, scope)


@router.get("/notifications/unread-count", response={200: UnreadOut, **ERROR_RESPONSES},
            summary="How many of your notifications are unread (the bell)")
def notification_unread_count(request: HttpRequest) -> dict[str, int]:
    return {"unread": selectors.unread_count(user=_user(request))}


@router.post("/notifications/{int:notification_id}/read", response={200: NotificationOut, **ERROR_RESPONSES},
             summary="Mark one of your notifications read")
def notification_read(request: HttpRequest, notification_id: int) -> Notification:
    user = _user(request)
    services.mark_read(actor=user, notification_id=notification_id)
    return selectors.inbox_row(user=user, notification_id=notification_id)


@router.post("/notifications/read-all", response={200: MarkedOut, **ERROR_RESPONSES},
             summary="Mark all your notifications read")
def notification_read_all(request: HttpRequest) -> dict[str, int]:
    return {"marked": services.mark_all_read(actor=_user(request))}


def _preferences(user: Any) -> list[dict[str, Any]]:
    return [{"event": p.key, "label": p.label, "email": p.email, "email_default": p.email_default}
            for p in selectors.email_preferences(user=user)]


@router.get("/notifications/preferences", response={200: list[PreferenceOut], **ERROR_RESPONSES},
            summary="Your e-mail choice for every notification type")
def preferences_get(request: HttpRequest) -> list[dict[str, Any]]:
    return _preferences(_user(request))


@router.put("/notifications/preferences", response={200: list[PreferenceOut], **ERROR_RESPONSES},
            summary="Choose which notification types you also get by e-mail")
def preferences_put(request: HttpRequest, payload: PreferencesIn) -> list[dict[str, Any]]:
    user = _user(request)
    services.set_email_preferences(actor=user, choices=payload.email)
    return _preferences(user)
