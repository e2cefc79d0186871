"""Accounts pages: login and logout, language, profile, and the administration of users and teams."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import (
    LoginForm,
    ProfileForm,
    TeamForm,
    UserCreateForm,
    UserEditForm,
    manager_candidates,
)
from accounts.models import Team, User
from accounts.roles import CAPABILITIES, MASKED, Cap, Role, Sensitive
from accounts.services import (
    team_create,
    team_update,
    user_create,
    user_password_change,
    user_password_set,
    user_profile_update,
    user_set_language,
    user_update,
)
from core.forms import add_errors
from core.http import safe_next
from core.pagination import keyset_page

View = Callable[..., HttpResponse]


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    if not language:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, path=settings.LANGUAGE_COOKIE_PATH,
                               domain=settings.LANGUAGE_COOKIE_DOMAIN,
                               samesite=settings.LANGUAGE_COOKIE_SAMESITE)
        return
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language,
        max_age=settings.LANGUAGE_COOKIE_AGE, path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN, secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY, samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def manage_users_required(view: View) -> View:
    """Administrators only (Cap.MANAGE_USERS); everyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.can(Cap.MANAGE_USERS):
            raise PermissionDenied(_("Only administrators may manage users and teams."))
        return view(request, *args, **kwargs)

    return wrapped


# --- login, logout, language -------------------------------------------------------------------


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """Username and password; failures are throttled per username and per address."""
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "GET" and request.user.is_authenticated:
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    form = LoginForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        auth_login(request, user)  # rotates the session key (no session fixation)
        response = HttpResponseRedirect(next_url or reverse(settings.LOGIN_REDIRECT_URL))
        if user.language:
            _set_language_cookie(response, user.language)
        return response
    status = 429 if form.locked_until else 200
    return render(request, "accounts/login.html", {"form": form, "next": next_url or ""}, status=status)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    """POST only, so that no link or image can log a user out."""
    auth_logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the UI language: kept on the user (every device) and in the language cookie."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(_("Unknown language."))
    next_url = (
        safe_next(request, request.POST.get("next"))
        or safe_next(request, request.META.get("HTTP_REFERER"))
        or reverse("home")
    )
    if request.user.is_authenticated:
        user_set_language(actor=request.user, language=language)
    response = HttpResponseRedirect(next_url)
    _set_language_cookie(response, language)
    return response


# --- profile ----------------------------------------------------------------------------------


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """The user's own details, language, password and API tokens."""
    user = request.user
    which = request.POST.get("form") if request.method == "POST" else None
    profile_form = ProfileForm(
        request.POST if which == "profile" else None,
        initial={"first_name": user.first_name, "last_name": user.last_name, "email": user.email,
                 "language": user.language, "time_zone": user.time_zone},
        prefix="profile",
    )
    password_form = PasswordChangeForm(user, request.POST if which == "password" else None, prefix="password")
    password_form.fields["old_password"].widget.attrs.pop("autofocus", None)  # the page is not only this form
    if which == "profile" and profile_form.is_valid():
        try:
            user_profile_update(actor=user, data=profile_form.cleaned_data)
        except ValidationError as exc:
            add_errors(profile_form, exc)
        else:
            messages.success(request, _("Your profile was saved."))
            response = redirect("accounts:profile")
            _set_language_cookie(response, user.language)
            return response
    if which == "password" and password_form.is_valid():
        try:
            user_password_change(actor=user, new_password=password_form.cleaned_data["new_password1"])
        except ValidationError as exc:
            add_errors(password_form, exc)
        else:
            update_session_auth_hash(request, user)  # stay logged in here; other sessions end
            messages.success(request, _("Your password was changed."))
            return redirect("accounts:profile")
    context = {
        "profile_form": profile_form,
        "password_form": password_form,
        "tokens": user.api_tokens.all(),
        "team": user.team,
    }
    return render(request, "accounts/profile.html", context)


# --- users and teams (administrators) ----------------------------------------------------------

USER_PAGE_SIZE = 100

# What each role may do, in words, for the user form (the matrix itself is accounts.roles).
CAPABILITY_LABELS = {
    Cap.ADD: gettext_lazy("add customers"),
    Cap.CHANGE: gettext_lazy("edit customers"),
    Cap.DELETE: gettext_lazy("delete customers"),
    Cap.RESTORE: gettext_lazy("restore deleted customers"),
    Cap.TRANSFER: gettext_lazy("transfer owners"),
    Cap.EXPORT: gettext_lazy("export"),
    Cap.AUDIT: gettext_lazy("read the audit trail"),
    Cap.MANAGE_USERS: gettext_lazy("manage users and teams"),
}
SENSITIVE_LABELS = {
    Sensitive.ID_NUMBER: gettext_lazy("ID number and birthday"),
    Sensitive.PHONES: gettext_lazy("phone numbers"),
    Sensitive.ASSETS: gettext_lazy("assets"),
}


def role_summary() -> list[dict[str, Any]]:
    """One row per role: whose customers it sees, what it may do, which fields it sees masked."""
    rows = []
    for role in Role:
        caps = CAPABILITIES.get(role, frozenset())
        rows.append({
            "role": role.label,
            "sees": _("all customers") if Cap.VIEW_ALL in caps else _("own and team's customers"),
            "may": [str(label) for cap, label in CAPABILITY_LABELS.items() if cap in caps],
            "masked": [str(label) for group, label in SENSITIVE_LABELS.items() if group in MASKED.get(role, ())],
        })
    return rows


@manage_users_required
@require_http_methods(["GET"])
def user_list(request: HttpRequest) -> HttpResponse:
    """All users with role, team, active flag and last login; filter by text, role, team, status."""
    qs = User.objects.select_related("team")
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q)
                       | Q(email__icontains=q))
    role = request.GET.get("role", "")
    if role in Role.values:
        qs = qs.filter(role=role)
    team = request.GET.get("team", "")
    if team.isdigit():
        qs = qs.filter(team_id=int(team))
    status = request.GET.get("status", "")
    if status in ("active", "inactive"):
        qs = qs.filter(is_active=(status == "active"))
    try:
        page = keyset_page(qs, ordering=["username", "id"], cursor=request.GET.get("cursor"), size=USER_PAGE_SIZE)
    except ValidationError:
        page = keyset_page(qs, ordering=["username", "id"], size=USER_PAGE_SIZE)
    context = {
        "page": page,
        "q": q, "role": role, "team": team, "status": status,
        "roles": Role.choices,
        "teams": Team.objects.order_by("name"),
    }
    return render(request, "accounts/user_list.html", context)


@sensitive_post_parameters("password", "password_confirm")
@manage_users_required
@require_http_methods(["GET", "POST"])
def user_add(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_create(actor=request.user, data=form.service_data(), password=form.cleaned_data["password"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("User %(username)s was created.") % {"username": user.username})
            return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "adding": True, "roles": role_summary()})


@sensitive_post_parameters("new_password", "new_password_confirm")
@manage_users_required
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(User.objects.select_related("team"), pk=pk)
    form = UserEditForm(request.POST or None, initial=UserEditForm.initial_for(target))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user_update(actor=request.user, user_id=target.pk, data=form.service_data())
                if form.cleaned_data["new_password"]:
                    user_password_set(actor=request.user, user_id=target.pk,
                                      password=form.cleaned_data["new_password"])
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("User %(username)s was saved.") % {"username": target.username})
            return redirect("accounts:user_list")
    context = {"form": form, "target": target, "adding": False, "roles": role_summary()}
    return render(request, "accounts/user_form.html", context)


@manage_users_required
@require_http_methods(["GET", "POST"])
def team_list(request: HttpRequest) -> HttpResponse:
    """Teams with manager and member count; create a team, rename one, or set its manager."""
    managers = manager_candidates()
    add_form = TeamForm(prefix="new", managers=managers)
    edit_errors: dict[int, TeamForm] = {}
    if request.method == "POST":
        team_id = request.POST.get("team")
        if team_id is None:
            add_form = TeamForm(request.POST, prefix="new", managers=managers)
            if add_form.is_valid():
                try:
                    team = team_create(actor=request.user, name=add_form.cleaned_data["name"],
                                       manager=add_form.cleaned_data["manager"])
                except ValidationError as exc:
                    add_errors(add_form, exc)
                else:
                    messages.success(request, _("Team %(name)s was created.") % {"name": team.name})
                    return redirect("accounts:team_list")
        elif team_id.isdigit():
            team = get_object_or_404(Team, pk=int(team_id))
            form = TeamForm(request.POST, prefix=f"team{team.pk}", managers=managers)
            if form.is_valid():
                try:
                    team = team_update(actor=request.user, team_id=team.pk, data=form.cleaned_data)
                except ValidationError as exc:
                    add_errors(form, exc)
                else:
                    messages.success(request, _("Team %(name)s was saved.") % {"name": team.name})
                    return redirect("accounts:team_list")
            edit_errors[team.pk] = form
        else:
            return HttpResponseBadRequest()
    teams = list(
        Team.objects.select_related("manager")
        .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
        .order_by("name")
    )
    manager_options = list(managers)
    rows = [
        {
            "team": t,
            "form": edit_errors.get(t.pk)
            or TeamForm(prefix=f"team{t.pk}", managers=managers,
                        initial={"name": t.name, "manager": t.manager_id}),
        }
        for t in teams
    ]
    for row in rows:
        # One query for the candidates, shared by every row's select.
        row["form"].fields["manager"].choices = [("", _("(none)"))] + [(u.pk, str(u)) for u in manager_options]
    return render(request, "accounts/team_list.html", {"rows": rows, "add_form": add_form})
