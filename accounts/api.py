"""API authentication (personal tokens and the browser session) and the /me endpoint."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from accounts.models import ApiToken, Team, User
from core import compiled
from core.api import ERROR_RESPONSES

# last_used_at is written at most this often per token, so busy scripts don't write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")

# Every column of the token, its user and the user's team, read in one query whose SQL is compiled
# once (core.compiled): the lookup runs on every API call.
_TOKEN_COLUMNS = tuple(f.attname for f in ApiToken._meta.concrete_fields)
_USER_COLUMNS = tuple(f.attname for f in User._meta.concrete_fields)
_TEAM_COLUMNS = tuple(f.attname for f in Team._meta.concrete_fields)


def _token_query(values: Any) -> Any:
    return ApiToken.objects.filter(key_hash=values["key_hash"]).values(
        *_TOKEN_COLUMNS, *(f"user__{c}" for c in _USER_COLUMNS), *(f"user__team__{c}" for c in _TEAM_COLUMNS)
    )


def token_with_user(raw: str) -> ApiToken | None:
    """The token whose secret is `raw`, with its user and the user's team loaded (one query), or
    None. Revoked tokens and inactive users are returned too: the caller says why they fail."""
    rows = compiled.fetch(("accounts.api_token",), _token_query, {"key_hash": ApiToken.hash(raw)})
    if not rows:
        return None
    row = rows[0]
    db = ApiToken.objects.db
    user = User.from_db(db, _USER_COLUMNS, [row[f"user__{c}"] for c in _USER_COLUMNS])
    team = None
    if user.team_id is not None:
        team = Team.from_db(db, _TEAM_COLUMNS, [row[f"user__team__{c}"] for c in _TEAM_COLUMNS])
    user._state.fields_cache["team"] = team
    api_token = ApiToken.from_db(db, _TOKEN_COLUMNS, [row[c] for c in _TOKEN_COLUMNS])
    api_token._state.fields_cache["user"] = user
    return api_token


class TokenAuth(HttpBearer):
    """``Authorization: Bearer kehu_…``. Only the token's SHA-256 is stored, so lookup is by hash.
    A token that is sent but unknown, revoked or whose user is inactive is a 401, even when the
    request also carries a session: an explicit credential that fails must not fall back."""

    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> User | None:
        # HttpBearer's own, reading the header from META: request.headers would first copy every
        # header of the request into a new mapping (a tenth of a cheap API call).
        value = request.META.get("HTTP_AUTHORIZATION")
        if not value:
            return None
        scheme, _sep, token = value.partition(" ")
        if scheme.lower() != self.openapi_scheme:
            return None
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> User:
        if not token.startswith(ApiToken.PREFIX):
            raise AuthenticationError(message=_("Invalid API token."))
        api_token = token_with_user(token)
        if api_token is None:
            raise AuthenticationError(message=_("Invalid API token."))
        if api_token.revoked_at is not None:
            raise AuthenticationError(message=_("This API token has been revoked."))
        user = api_token.user
        if not user.is_active:
            raise AuthenticationError(message=_("This account is disabled."))
        now = timezone.now()
        if api_token.last_used_at is None or now - api_token.last_used_at >= LAST_USED_RESOLUTION:
            # update() rather than save(): no race with a concurrent revoke overwriting revoked_at.
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.user = user
        request.api_token = api_token  # type: ignore[attr-defined]
        if user.language:
            # The session's user gets this from UserLanguageMiddleware; a token user only now.
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language  # type: ignore[attr-defined]
        return user


class SessionAuth(APIKeyCookie):
    """The logged-in browser session (e.g. the API docs page). Unsafe methods need the CSRF token
    (``X-CSRFToken`` header), as for any form on the site."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        # CSRF is checked only for an authenticated session: an anonymous call gets 401, not 403.
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise PermissionDenied(_("CSRF check failed: send the X-CSRFToken header with the session."))
        return user


# Both doors; the token is tried first.
api_auth: list[Any] = [TokenAuth(), SessionAuth()]


# --- /me -----------------------------------------------------------------------------------------

class TeamRef(Schema):
    id: int
    name: str


class UserRef(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(obj: User) -> str:
        return str(obj)


class MeOut(Schema):
    id: int
    username: str
    name: str
    email: str
    role: str
    role_label: str
    team: TeamRef | None
    language: str


router = Router(tags=["account"])


@router.get("/me", response={200: MeOut, **ERROR_RESPONSES}, summary="The authenticated user")
def me(request: HttpRequest) -> dict[str, Any]:
    user: User = request.auth  # type: ignore[attr-defined]
    return {
        "id": user.pk,
        "username": user.username,
        "name": str(user),
        "email": user.email,
        "role": user.effective_role,
        "role_label": user.role_label,
        "team": user.team,
        "language": user.language,
    }
