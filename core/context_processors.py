"""Template context shared by every page: the navigation the user may use."""

from typing import Any

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from accounts.roles import Cap

    return {
        "nav_can": {
            "audit": user.can(Cap.AUDIT),
            "trash": user.can(Cap.RESTORE),
            "add_customer": user.can(Cap.ADD),
            "export": user.can(Cap.EXPORT),
            "users": user.can(Cap.MANAGE_USERS),
            "merge": user.can(Cap.DELETE),  # merging duplicates removes one of them
        }
    }
