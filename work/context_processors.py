"""The bell in the header: the signed-in user's unread notifications (templates/base.html).

The count is taken only when a page draws the header (lazily), as one COUNT on the notifications'
(recipient, read_at) index — well under a millisecond, so it is not cached: a per-process cache
would show a stale number after "mark all read", and kehu has no shared cache."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.http import HttpRequest


class Bell:
    template = "work/notifications/_bell.html"

    def __init__(self, user: Any) -> None:
        self.user = user

    @cached_property
    def unread(self) -> int:
        from work.selectors_notifications import unread_count

        return unread_count(user=self.user)


def notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notification_bell": Bell(user)}
