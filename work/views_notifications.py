"""Notification pages: the inbox (with htmx "mark read"), the e-mail preferences, and the outbox for
administrators. Thin: reads through work/selectors_notifications.py, writes through the services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from work import selectors_notifications as selectors
from work import services_notifications as services
from work.models import EmailStatus, Notification, OutgoingEmail


def _page_or_404(call, **kwargs):  # type: ignore[no-untyped-def]
    try:
        return call(**kwargs)
    except ValidationError as exc:  # a tampered cursor
        raise Http404(exc.messages[0]) from exc


def _labelled(rows: list[Notification]) -> list[Notification]:
    labels = {k: e.label for k, e in selectors.event_labels().items()}
    for row in rows:
        row.event_label = labels.get(row.event, row.event)  # type: ignore[attr-defined]
    return rows


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = _page_or_404(selectors.inbox_page, user=request.user, unread_only=unread_only,
                        cursor=request.GET.get("cursor"))
    return render(request, "work/notifications/list.html", {
        "page": page, "notifications": _labelled(page.items), "unread_only": unread_only,
    })


def _mark_read(request: HttpRequest, notification_id: int) -> Notification:
    try:
        return services.mark_read(actor=request.user, notification_id=notification_id)
    except Notification.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one read. From the list (htmx) the row and the bell are redrawn."""
    note = _mark_read(request, notification_id)
    if request.headers.get("HX-Request"):
        row = selectors.inbox_row(user=request.user, notification_id=note.pk)
        return render(request, "work/notifications/_row_read.html", {"n": _labelled([row])[0]})
    return redirect("work:notification_list")


@login_required
@require_GET
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Follow a notification's link, marking it read on the way (a plain link: as a mail client's
    "open" does; marking one's own notification read twice changes nothing)."""
    _mark_read(request, notification_id)
    note = selectors.inbox_row(user=request.user, notification_id=notification_id)
    if note.customer_visible and note.url and url_has_allowed_host_and_scheme(
            note.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(note.url)
    return redirect("work:notification_list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = services.mark_all_read(actor=request.user)
    messages.success(request, _("%(count)s notifications marked read.") % {"count": count})
    return redirect("work:notification_list")


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    """One switch per event: e-mail on or off (the inbox always gets every notification)."""
    if request.method == "POST":
        choices = {p.key: request.POST.get(f"email_{p.key}") == "on"
                   for p in selectors.email_preferences(user=request.user)}
        services.set_email_preferences(actor=request.user, choices=choices)
        messages.success(request, _("Your notification settings are saved."))
        return redirect("work:notification_preferences")
    return render(request, "work/notifications/preferences.html", {
        "preferences": selectors.email_preferences(user=request.user), "has_email": bool(request.user.email),
    })


def _outbox_admin(request: HttpRequest) -> None:
    if not services.may_manage_outbox(request.user):
        raise PermissionDenied(_("Only administrators see the outbox."))


@login_required
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    _outbox_admin(request)
    status = request.GET.get("status", "")
    if status not in EmailStatus.values:
        status = ""
    page = _page_or_404(selectors.outbox_page, status=status, cursor=request.GET.get("cursor"))
    counts = selectors.outbox_counts()
    return render(request, "work/notifications/outbox.html", {
        "page": page, "emails": page.items, "status": status,
        "statuses": [(value, label, counts[value]) for value, label in EmailStatus.choices],
        "smtp": settings.EMAIL_BACKEND.endswith("smtp.EmailBackend"),
        "smtp_host": getattr(settings, "EMAIL_HOST", ""), "mail_dir": getattr(settings, "EMAIL_FILE_PATH", ""),
    })


@login_required
@require_POST
def outbox_retry(request: HttpRequest, email_id: int) -> HttpResponse:
    _outbox_admin(request)
    try:
        services.retry_email(actor=request.user, email_id=email_id)
    except OutgoingEmail.DoesNotExist as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("The message is queued again."))
    return redirect("work:outbox")
