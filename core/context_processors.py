"""Template context shared by every page: the navigation the user may use (core/navigation.py, filled
by the apps)."""

from typing import Any

from django.http import HttpRequest

from core import navigation as nav


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    flags = nav.flags_for(user)
    match = getattr(request, "resolver_match", None)
    page = {"app_name": getattr(match, "app_name", "") or "", "url_name": getattr(match, "url_name", "") or ""}
    return {
        "nav_can": flags,
        "nav_items": nav.menu(flags, **page),
        "nav_sub": nav.submenu(flags, **page),
    }
