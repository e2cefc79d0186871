"""Writes on accounts: users, teams, API tokens. Keyword-only, one transaction each."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import ApiToken, LoginFailure, Team, User
from accounts.roles import TEAM_ROLES, Cap, Role
from core import registry
from core.models import max_length

# --- API tokens --------------------------------------------------------------------------------

# Shown in lists so a user can tell tokens apart; short enough to say nothing useful about the secret.
TOKEN_HINT_LENGTH = len(ApiToken.PREFIX) + 4


@transaction.atomic
def token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a personal API token for `user`. Returns the token and its secret; only the secret's
    SHA-256 hash is stored, so the caller must show the secret now or never."""
    name = (name or "").strip()
    longest = max_length(ApiToken, "name")
    if not name:
        raise ValidationError({"name": _("Give the token a name, e.g. the script that will use it.")})
    if len(name) > longest:
        raise ValidationError(
            {"name": _("The name may have at most %(max)s characters.") % {"max": longest}}
        )
    if not user.is_active:
        raise ValidationError(_("An inactive user cannot have API tokens."))
    raw = ApiToken.new_secret()
    token = ApiToken.objects.create(user=user, name=name, key_hash=ApiToken.hash(raw), hint=raw[:TOKEN_HINT_LENGTH])
    _change_record(user=user, instance=token, action="create", changes={"name": [None, name]})
    return token, raw


@transaction.atomic
def token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (idempotent). Raises ApiToken.DoesNotExist for a token
    that is not the user's, so callers answer 404 either way."""
    token = ApiToken.objects.select_for_update().get(pk=token_id, user=user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        _change_record(user=user, instance=token, action="update", note="revoked",
                       changes={"revoked_at": [None, str(token.revoked_at)]})
    return token


# --- end of API tokens -------------------------------------------------------------------------


# --- users, teams, login ---
# Written by the services below with the audit trail's writers, which sit in a higher app (audit):
# they come through core.registry, registered by the audit app.

# What an administrator may set on a user (the profile changes names, email and language itself).
USER_FIELDS: list[str] = ["username", "first_name", "last_name", "email", "role", "team", "is_active"]
USER_EDITABLE_FIELDS: list[str] = ["first_name", "last_name", "email", "role", "team", "is_active"]
PROFILE_FIELDS: list[str] = ["first_name", "last_name", "email", "language", "time_zone"]
TEAM_FIELDS: list[str] = ["name", "manager"]
# Roles that may be named a team's manager.
TEAM_MANAGER_ROLES = frozenset({Role.MANAGER, Role.ADMIN})


def _change_record(**kwargs: Any) -> Any:
    return registry.get("change_record")(**kwargs)


def _require_manage_users(actor: User) -> None:
    if not actor.can(Cap.MANAGE_USERS):
        raise PermissionDenied(_("Only administrators may manage users and teams."))


def _audit_values(user: User) -> dict[str, Any]:
    # Ids rather than names for foreign keys, like the customer trail (names change; ids do not).
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "team": user.team_id,
        "is_active": user.is_active,
        "language": user.language,
        "time_zone": user.time_zone,
    }


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def _check_fields(data: Mapping[str, Any], allowed: list[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError({f: _("This field cannot be set here.") for f in sorted(unknown)})


def _check_team(team: Any) -> Team | None:
    if team is None or team == "":
        return None
    if isinstance(team, Team):
        return team
    try:
        return Team.objects.get(pk=team)
    except (Team.DoesNotExist, ValueError, TypeError) as exc:
        raise ValidationError({"team": _("Select an existing team.")}) from exc


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise ValidationError({"role": _("Select a valid role.")})


def _check_team_role(user: User) -> None:
    """Managers, sales and service staff work in a team (accounts.roles.TEAM_ROLES). Checked where an
    administrator sets role, team or active flag — not on a user's own profile, which a user who lost
    their team must still be able to edit."""
    if user.is_active and user.effective_role in TEAM_ROLES and user.team_id is None:
        raise ValidationError({"team": _("Managers, sales and service staff work in a team: choose the team.")})


def _check_password(password: str, user: User, field: str) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({field: exc.error_list}) from exc  # keeps the validators' codes


@transaction.atomic
def user_create(*, actor: User, data: Mapping[str, Any], password: str) -> User:
    """Create a user with an initial password (checked by AUTH_PASSWORD_VALIDATORS)."""
    _require_manage_users(actor)
    _check_fields(data, USER_FIELDS)
    values = dict(data)
    username = (values.pop("username", "") or "").strip()
    if not username:
        raise ValidationError({"username": _("Enter a username.")})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("A user with this username already exists.")})
    values["team"] = _check_team(values.get("team"))
    values.setdefault("role", Role.SALES)
    _check_role(values["role"])
    user = User(username=username, **values)
    _check_password(password, user, "password")
    _check_team_role(user)  # after the password: its errors are the ones to fix first
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    after = {k: v for k, v in _audit_values(user).items() if v not in (None, "")}
    _change_record(user=actor, instance=user, action="create", changes={k: [None, v] for k, v in after.items()})
    return user


@transaction.atomic
def user_update(*, actor: User, user_id: int, data: Mapping[str, Any]) -> User:
    """Change a user's names, email, role, team or active flag.

    A new team takes the customers the user owns along: their team column moves in one set-based
    UPDATE (scoping reads it), and each moved customer gets an audit entry. Deactivating is how a
    user is removed; their customers keep them as owner until a manager transfers them.
    """
    _require_manage_users(actor)
    _check_fields(data, USER_EDITABLE_FIELDS)
    try:
        user = User.objects.select_for_update().get(pk=user_id)
    except User.DoesNotExist as exc:
        raise ValidationError(_("This user does not exist.")) from exc
    before = _audit_values(user)
    values = dict(data)
    if "team" in values:
        values["team"] = _check_team(values["team"])
    if "role" in values:
        _check_role(values["role"])
    if user.pk == actor.pk:
        # An administrator cannot lock themselves out by demoting or deactivating their own account.
        if values.get("is_active") is False:
            raise ValidationError({"is_active": _("You cannot deactivate your own account.")})
        if "role" in values and values["role"] != Role.ADMIN and not user.is_superuser:
            raise ValidationError({"role": _("You cannot remove your own administrator role.")})
    for name, value in values.items():
        setattr(user, name, value)
    if {"role", "team", "is_active"} & set(values):
        _check_team_role(user)
    user.full_clean(exclude=["password"])
    changes = _diff(before, _audit_values(user))
    if not changes:
        return user
    user.save()
    _change_record(user=actor, instance=user, action="update", changes=changes)
    if "team" in changes:
        _customers_follow_team(actor=actor, user=user)
    return user


def _customers_follow_team(*, actor: User, user: User) -> int:
    """Move every customer `user` owns (deleted ones too, so that a restore stays consistent) to the
    user's new team: one UPDATE, plus one audit entry per moved customer, written in bulk.

    Reached through the reverse relation because accounts may not import customers; this is an
    administrator's system-wide action, so the per-user scope does not apply.
    """
    new_team_id = user.team_id
    owned = (user.customers.exclude(team_id=new_team_id) if new_team_id is not None
             else user.customers.filter(team_id__isnull=False))
    moved = list(owned.only("id", "name", "team_id", "owner_id", "external_id"))
    if not moved:
        return 0
    # External IDs are unique per team (ADR 0006): the move must not put two customers with one
    # number into the new team. An administrator sees every team, so naming the number leaks nothing.
    numbers = {c.external_id for c in moved if c.external_id}
    if numbers and new_team_id:
        clash = (user.customers.model.objects.filter(team_id=new_team_id, external_id__in=numbers)
                 .exclude(owner_id=user.pk).values_list("external_id", flat=True).first())
        if clash:
            raise ValidationError({"team": _(
                "A customer of the new team already has the external ID “%(value)s” of a customer this user "
                "owns: merge the two or change one number first."
            ) % {"value": clash}})
    count = owned.update(team_id=new_team_id, updated_at=timezone.now())
    by_old_team: dict[int | None, list[Any]] = {}
    for customer in moved:
        by_old_team.setdefault(customer.team_id, []).append(customer)
    note = _("Owner %(user)s moved to another team.") % {"user": user.username}
    for old_team_id, customers in by_old_team.items():
        registry.get("change_records_bulk")(
            user=actor, instances=customers, action="update", changes={"team": [old_team_id, new_team_id]},
            note=note,
        )
    return count


@transaction.atomic
def user_password_set(*, actor: User, user_id: int, password: str) -> User:
    """An administrator sets a new password for a user (who forgot theirs); the value is never logged."""
    _require_manage_users(actor)
    try:
        user = User.objects.select_for_update().get(pk=user_id)
    except User.DoesNotExist as exc:
        raise ValidationError(_("This user does not exist.")) from exc
    _check_password(password, user, "new_password")
    user.set_password(password)
    user.save(update_fields=["password"])
    # Notes are stored untranslated and read in the reader's language (audit.presentation).
    _change_record(user=actor, instance=user, action="update", changes={},
                   note=gettext_noop("Password set by an administrator."))
    return user


@transaction.atomic
def user_profile_update(*, actor: User, data: Mapping[str, Any]) -> User:
    """The user's own names, email, preferred language ("" = follow the browser) and time zone ("" = the
    business zone)."""
    _check_fields(data, PROFILE_FIELDS)
    if "language" in data and data["language"] not in ("", *dict(settings.LANGUAGES)):
        raise ValidationError({"language": _("Select a valid language.")})
    user = User.objects.select_for_update().get(pk=actor.pk)
    before = _audit_values(user)
    for name, value in data.items():
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    changes = _diff(before, _audit_values(user))
    if changes:
        user.save(update_fields=list(data))
        _change_record(user=actor, instance=user, action="update", changes=changes)
    # Keep the caller's instance current (it is usually request.user).
    for name in data:
        setattr(actor, name, getattr(user, name))
    return user


@transaction.atomic
def user_set_language(*, actor: User, language: str) -> User:
    """Remember the UI language on the user so that it follows them to every device."""
    if language not in ("", *dict(settings.LANGUAGES)):
        raise ValidationError({"language": _("Select a valid language.")})
    if actor.language != language:
        User.objects.filter(pk=actor.pk).update(language=language)
        actor.language = language
    return actor


@transaction.atomic
def user_password_change(*, actor: User, new_password: str) -> User:
    """Set the actor's own password (validated) and record that it changed (never the value)."""
    _check_password(new_password, actor, "new_password1")
    actor.set_password(new_password)
    actor.save(update_fields=["password"])
    _change_record(user=actor, instance=actor, action="update", changes={}, note=gettext_noop("Password changed."))
    return actor


def _check_manager(manager: Any) -> User | None:
    if manager is None or manager == "":
        return None
    if not isinstance(manager, User):
        try:
            manager = User.objects.get(pk=manager)
        except (User.DoesNotExist, ValueError, TypeError) as exc:
            raise ValidationError({"manager": _("Select an existing user.")}) from exc
    if not manager.is_active or manager.effective_role not in TEAM_MANAGER_ROLES:
        raise ValidationError({"manager": _("The team manager must be an active manager or administrator.")})
    return manager


def _check_team_name(name: str, exclude_pk: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Enter a team name.")})
    clash = Team.objects.filter(name__iexact=name)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": _("A team with this name already exists.")})
    return name


def _team_values(team: Team) -> dict[str, Any]:
    return {"name": team.name, "manager": team.manager_id}


@transaction.atomic
def team_create(*, actor: User, name: str, manager: User | int | None = None) -> Team:
    """Create a team, optionally naming its manager."""
    _require_manage_users(actor)
    team = Team(name=_check_team_name(name), manager=_check_manager(manager))
    team.full_clean()
    team.save()
    after = {k: v for k, v in _team_values(team).items() if v not in (None, "")}
    _change_record(user=actor, instance=team, action="create", changes={k: [None, v] for k, v in after.items()})
    return team


@transaction.atomic
def team_update(*, actor: User, team_id: int, data: Mapping[str, Any]) -> Team:
    """Rename a team or change its manager."""
    _require_manage_users(actor)
    _check_fields(data, TEAM_FIELDS)
    try:
        team = Team.objects.select_for_update().get(pk=team_id)
    except Team.DoesNotExist as exc:
        raise ValidationError(_("This team does not exist.")) from exc
    before = _team_values(team)
    if "name" in data:
        team.name = _check_team_name(data["name"], exclude_pk=team.pk)
    if "manager" in data:
        team.manager = _check_manager(data["manager"])
    team.full_clean()
    changes = _diff(before, _team_values(team))
    if changes:
        team.save()
        _change_record(user=actor, instance=team, action="update", changes=changes)
    return team


def _login_key(username: str) -> str:
    # Case-folded so that "Admin" and "admin" share one counter.
    return (username or "").strip().lower()[:150]


def login_locked_until(*, username: str, ip: str | None) -> datetime | None:
    """When a refused login may be retried, or None if this username and address may try now.

    Two separate counts within the last KEHU_LOGIN_FAILURE_WINDOW_SECONDS: KEHU_LOGIN_MAX_FAILURES
    failures for the username lock that account, and KEHU_LOGIN_MAX_FAILURES_PER_ADDRESS failures
    from one address lock the address. The address limit is much higher because a whole office
    behind one NAT shares an address: one person's typos (or one person guessing) must not lock
    their colleagues out of their own accounts. The lock lifts when the oldest of those failures
    leaves the window. Counted in the database, so every server process sees the same count.
    """
    window = timedelta(seconds=settings.KEHU_LOGIN_FAILURE_WINDOW_SECONDS)
    recent = LoginFailure.objects.filter(at__gte=timezone.now() - window)
    limits = [(Q(username=_login_key(username)), settings.KEHU_LOGIN_MAX_FAILURES)]
    if ip:
        limits.append((Q(ip=ip), settings.KEHU_LOGIN_MAX_FAILURES_PER_ADDRESS))
    until: datetime | None = None
    for condition, limit in limits:
        times = list(recent.filter(condition).order_by("-at").values_list("at", flat=True)[:limit])
        if len(times) >= limit:
            lifts = times[-1] + window
            until = lifts if until is None else max(until, lifts)
    return until


@transaction.atomic
def login_failure_record(*, username: str, ip: str | None) -> LoginFailure:
    """Count one failed login; failures older than the window are pruned on the way."""
    window = timedelta(seconds=settings.KEHU_LOGIN_FAILURE_WINDOW_SECONDS)
    LoginFailure.objects.filter(at__lt=timezone.now() - window).delete()
    return LoginFailure.objects.create(username=_login_key(username), ip=ip or None)


@transaction.atomic
def login_failures_clear(*, username: str) -> None:
    """A successful login forgets the failures of its username (the address keeps its count)."""
    LoginFailure.objects.filter(username=_login_key(username)).delete()
