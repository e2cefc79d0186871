"""Production start-up guards: refuse the public development key and demo users."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError


def production_problems() -> list[str]:
    """What makes this installation unsafe to run in production (empty when it is safe)."""
    problems: list[str] = []
    if not settings.PRODUCTION:
        return problems
    if settings.SECRET_KEY == settings.DEFAULT_SECRET_KEY or len(settings.SECRET_KEY) < 50:
        problems.append("KEHU_SECRET_KEY is unset or too short: set a random secret of 50+ characters.")
    if settings.DEBUG:
        problems.append("KEHU_DEBUG must be off in production.")
    from django.contrib.auth import get_user_model

    try:
        demo = get_user_model().objects.filter(is_demo=True, is_active=True).count()
    except DatabaseError:  # not migrated yet: nothing to refuse
        demo = 0
    if demo:
        problems.append(
            f"{demo} demo user(s) with published passwords exist: remove them with `kehu demo --remove-users`."
        )
    return problems


def refuse_unsafe_production() -> None:
    problems = production_problems()
    if problems:
        raise ImproperlyConfigured("kehu refuses to start in production: " + " ".join(problems))
