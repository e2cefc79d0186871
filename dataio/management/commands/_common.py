"""What `kehu import` and `kehu export` share: who acts."""

from __future__ import annotations

from django.core.management.base import CommandError

from accounts.models import User
from accounts.roles import Role


def acting_user(username: str | None) -> User:
    """The --user, or the only active administrator when there is exactly one."""
    if username:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        return user
    admins = list(User.objects.filter(is_active=True).filter(role=Role.ADMIN)[:2]) or list(
        User.objects.filter(is_active=True, is_superuser=True)[:2])
    if len(admins) != 1:
        raise CommandError("Name the acting user with --user USERNAME: what you import is theirs, and only what "
                           "they may see and change is touched.")
    return admins[0]
