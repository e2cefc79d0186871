"""Forms of the accounts pages. They only validate input; the services write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import Team, User
from accounts.roles import Role
from accounts.services import TEAM_MANAGER_ROLES, login_failure_record, login_failures_clear, login_locked_until
from accounts.zones import zone_choices
from core.clientaddr import client_ip


def _model_field(name: str, **kwargs: Any) -> forms.Field:
    """The form field of a User model field, so labels and limits stay in one place."""
    return User._meta.get_field(name).formfield(**kwargs)


class LoginForm(AuthenticationForm):
    """Username and password, refused while the username or the address is locked by failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Please enter a correct username and password. Both fields are case-sensitive."),
        "locked": _("Too many failed login attempts. Please try again in %(minutes)s (after %(time)s)."),
    }

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.locked_until: datetime | None = None
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})

    def _locked_error(self, until: datetime) -> ValidationError:
        seconds = max(0, (until - timezone.now()).total_seconds())
        minutes = max(1, int(-(-seconds // 60)))
        return ValidationError(
            self.error_messages["locked"],
            code="locked",
            params={
                "minutes": ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes},
                "time": formats.time_format(timezone.localtime(until), "H:i"),
            },
        )

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        ip = client_ip(self.request) if self.request is not None else None
        # Checked before the password, so that a correct password does not open a locked account.
        self.locked_until = login_locked_until(username=username, ip=ip)
        if self.locked_until is not None:
            raise self._locked_error(self.locked_until)
        self.user_cache = authenticate(self.request, username=username, password=password)
        if self.user_cache is None:
            # Inactive users land here too (the backend refuses them), with the same message.
            login_failure_record(username=username, ip=ip)
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        login_failures_clear(username=username)
        return self.cleaned_data


LANGUAGE_CHOICES = [("", _("Browser default")), *settings.LANGUAGES]


class ProfileForm(forms.Form):
    first_name = _model_field("first_name")
    last_name = _model_field("last_name")
    email = _model_field("email")
    language = forms.ChoiceField(label=_("Preferred language"), choices=LANGUAGE_CHOICES, required=False)
    time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=zone_choices, required=False,
        help_text=_("Times are shown in this zone; the calendar's all-day appointments cover its days."),
    )


def _team_field(**kwargs: Any) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.order_by("name"), required=False, empty_label=_("(no team)"),
        **kwargs,
    )


class UserCreateForm(forms.Form):
    username = _model_field("username")
    first_name = _model_field("first_name")
    last_name = _model_field("last_name")
    email = _model_field("email")
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.SALES)
    team = _team_field()
    password = forms.CharField(
        label=_("Initial password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not too common, not entirely numeric. The user can change it later."),
    )
    password_confirm = forms.CharField(
        label=_("Initial password (again)"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password") and data.get("password_confirm") and data["password"] != data["password_confirm"]:
            self.add_error("password_confirm", _("The two passwords do not match."))
        return data

    def service_data(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ("username", "first_name", "last_name", "email", "role", "team")}


class UserEditForm(forms.Form):
    first_name = _model_field("first_name")
    last_name = _model_field("last_name")
    email = _model_field("email")
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    team = _team_field(help_text=_("Changing the team also moves the customers this user owns to the new team."))
    is_active = forms.BooleanField(
        label=_("Active"), required=False,
        help_text=_("Inactive users cannot log in or use the API. Their customers keep them as owner "
                    "until a manager transfers them."),
    )

    new_password = forms.CharField(
        label=_("New password"), strip=False, required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current password. Set one when a user forgot theirs."),
    )
    new_password_confirm = forms.CharField(
        label=_("New password (again)"), strip=False, required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("new_password") or data.get("new_password_confirm")) and (
            data.get("new_password") != data.get("new_password_confirm")
        ):
            self.add_error("new_password_confirm", _("The two passwords do not match."))
        return data

    def service_data(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ("first_name", "last_name", "email", "role", "team", "is_active")}

    @classmethod
    def initial_for(cls, user: User) -> dict[str, Any]:
        return {
            "first_name": user.first_name, "last_name": user.last_name, "email": user.email,
            "role": user.role, "team": user.team_id, "is_active": user.is_active,
        }


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=100)
    manager = forms.ModelChoiceField(
        label=_("Manager"), queryset=User.objects.none(), required=False, empty_label=_("(none)")
    )

    def __init__(self, *args: Any, managers: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = managers if managers is not None else manager_candidates()


def manager_candidates() -> Any:
    """Users who may be named a team manager: active managers and administrators."""
    return User.objects.filter(is_active=True, role__in=TEAM_MANAGER_ROLES).order_by("username")
