"""The request of a signed-in user, for the type checker."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """The request a view behind ``login_required`` receives: ``request.user`` is a User, never the
    anonymous user (django-stubs' pattern). An annotation only: Django passes its own HttpRequest."""

    user: User
