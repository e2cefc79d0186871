"""Users, teams and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import CAPABILITIES, MASKED, OWNER_ROLES, Cap, Role
from accounts.zones import validate_time_zone

_CJK = re.compile(r"[\u3400-\u9fff]")


class Team(models.Model):
    """A sales or service team; its members share its customers."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("manager"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="managed_teams",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A kehu user: one role, at most one team, a preferred language and time zone."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.SALES)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=[("", _("Browser default")), *settings.LANGUAGES]
    )
    # "" = the business zone (settings.TIME_ZONE); accounts.zones.user_zone() reads it.
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, default="", db_default="", validators=[validate_time_zone]
    )
    # Demo users have published passwords; production start-up refuses to run while any exist.
    is_demo = models.BooleanField(_("demo user"), default=False, editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_full_name(self) -> str:
        """Chinese names read family name first without a space (张敏); others "Given Family"."""
        first, last = self.first_name.strip(), self.last_name.strip()
        if _CJK.search(first + last):
            return f"{last}{first}"
        return f"{first} {last}".strip()

    @property
    def effective_role(self) -> str:
        return Role.ADMIN if self.is_superuser else self.role

    @property
    def role_label(self) -> str:
        return str(Role(self.effective_role).label)

    def can(self, capability: str) -> bool:
        return self.is_active and capability in CAPABILITIES.get(self.effective_role, frozenset())

    @property
    def may_own_customers(self) -> bool:
        """Whether customers may be given to this user (OWNER_ROLES): active, and not read-only."""
        return self.can(Cap.CHANGE)

    @property
    def sees_all_customers(self) -> bool:
        return self.can(Cap.VIEW_ALL)

    @property
    def leads_team(self) -> bool:
        """Managers lead their team and administrators everyone: their dashboard shows the figures of
        all the customers they see (stale cards …), not only of those they own."""
        return self.is_active and self.effective_role in (Role.ADMIN, Role.MANAGER)

    def masks(self, group: str) -> bool:
        return group in MASKED.get(self.effective_role, frozenset())


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def users_who_may_own_customers() -> models.QuerySet[User]:
    """Active users whose role may own customers (User.may_own_customers, as a queryset): whom a
    customer may be given to, or who may be made responsible for customers."""
    return User.objects.filter(models.Q(role__in=OWNER_ROLES) | models.Q(is_superuser=True), is_active=True)


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A personal API token. Only its hash is stored; the secret is shown once at creation."""

    PREFIX = "kehu_"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @classmethod
    def new_secret(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @staticmethod
    def hash(raw: str) -> str:
        return _hash_token(raw)


class LoginFailure(models.Model):
    """One failed login, kept to throttle guessing across all server processes."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.username} @ {self.at:%Y-%m-%d %H:%M}"
