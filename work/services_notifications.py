"""Notifications: the one service every app calls to tell users about something (`notify`), and what
users do with their inbox and their preferences.

`notify` writes, in one transaction, an inbox entry per recipient and — for those who want this
event by e-mail (NotificationPreference, else the event's default) — a message in the outbox
(work.OutgoingEmail), which the background worker sends once the transaction commits
(work/outbox.py). Events are registered in work/events.py (the contract is there).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.template import Context, engines
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from accounts.roles import Cap
from core import masking
from work.events import EventType, events, get_event
from work.models import EmailStatus, Notification, NotificationPreference, OutgoingEmail

_PLAIN = (str, int, float, Decimal, date, datetime, time, bool)
_SPACE = re.compile(r"\s+")


def plain_context(value: Any, *, _path: str = "context") -> Any:
    """`value` with only plain values: strings, numbers, dates, and dicts (string keys) and lists of
    them; lazy translations become strings. Anything else — a model instance above all, whose every
    attribute and related record a template could reach — is refused with a TypeError."""
    if value is None or isinstance(value, _PLAIN):
        return "" if value is None else value
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{_path}: keys must be strings, not {key!r}")
            out[key] = plain_context(item, _path=f"{_path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [plain_context(item, _path=f"{_path}[{i}]") for i, item in enumerate(value)]
    raise TypeError(f"{_path}: {type(value).__name__} is not a plain value (give strings, numbers, dates, dicts)")


def recipient_language(user: Any) -> str:
    """The language a user reads notifications and e-mail in: their own choice, else the site's."""
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def _render(name: str, context: dict[str, Any], *, html: bool) -> str:
    # The engine's own Template with a Context: the plain-text parts are rendered without HTML
    # escaping (a customer "A & B" stays "A & B" in a subject), the HTML part with it.
    template = engines["django"].engine.get_template(name)  # type: ignore[attr-defined]
    return str(template.render(Context(context, autoescape=html)))


def _one_line(text: str, limit: int) -> str:
    return _SPACE.sub(" ", text).strip()[:limit]


def _customer_of(obj: Any) -> Any:
    from customers.models import Customer

    if obj is None:
        return None
    if isinstance(obj, Customer):
        return obj
    if getattr(obj, "customer_id", None) is not None:
        return obj.customer
    return None


def _url_of(obj: Any, customer: Any) -> str:
    """The page a notification links to: the record's own, else its customer's card."""
    from django.urls import reverse

    if obj is not None and hasattr(obj, "get_absolute_url"):
        return str(obj.get_absolute_url())
    return reverse("customers:customer_detail", args=[customer.pk]) if customer is not None else ""


def _customer_context(customer: Any, user: Any) -> dict[str, str]:
    # Customer data reaches templates only from here: in the recipient's scope (checked by the
    # caller), and masked as the recipient's role sees it.
    from customers.models import Customer

    return {
        "name": str(masking.shown(user, Customer, "name", customer.name)),
        "owner": str(customer.owner) if customer.owner_id else "",
        "phone": str(masking.shown(user, Customer, "phone", customer.phone) or ""),
    }


def _users(recipients: Iterable[Any]) -> list[Any]:
    """Active users among `recipients` (users or their ids), each once, in the order given."""
    user_model = get_user_model()
    given = list(recipients)
    ids = [r if isinstance(r, int) else r.pk for r in given]
    loaded = {u.pk: u for u in user_model.objects.filter(pk__in=ids, is_active=True)}
    seen: set[int] = set()
    out = []
    for pk in ids:
        if pk in loaded and pk not in seen:
            seen.add(pk)
            out.append(loaded[pk])
    return out


def wants_email(user: Any, event: EventType, choices: Mapping[str, bool] | None = None) -> bool:
    """Whether `user` gets `event` by e-mail: their choice, else the event's default."""
    if choices is None:
        choices = dict(NotificationPreference.objects.filter(user=user).values_list("event", "email"))
    return bool(user.email) and choices.get(event.key, event.email_default)


@dataclass(frozen=True)
class _Rendered:
    title: str
    summary: str
    email: tuple[str, str, str] | None  # subject, text, html


def _render_for(user: Any, event: EventType, context: dict[str, Any], *, email: bool) -> _Rendered:
    language = recipient_language(user)
    with translation.override(language):
        title = _one_line(_render(event.subject_template, context, html=False), 200)
        summary = _render(event.summary_template, context, html=False).strip() if event.summary_template else ""
        if not email:
            return _Rendered(title, summary, None)
        mail_context = {**context, "url": _absolute(context.get("url", "")), "language": language}
        return _Rendered(title, summary, (
            _one_line(_render(event.subject_template, mail_context, html=False), 300),
            _render(event.text_template, mail_context, html=False).strip() + "\n",
            _render(event.html_template, mail_context, html=True),
        ))


def _absolute(url: str) -> str:
    base = getattr(settings, "KEHU_SITE_URL", "")
    return f"{base.rstrip('/')}{url}" if base and url.startswith("/") else ("" if url.startswith("/") else url)


def notify(*, recipients: Iterable[Any], event: str, obj: models.Model | None = None,
           context: Mapping[str, Any] | None = None, actor: Any = None) -> list[Notification]:
    """Tell `recipients` (users or user ids) about `event` (a registered key), concerning `obj`.

    - A recipient who may not see the customer `obj` belongs to (the customer itself, or a record
      with a `customer`) gets nothing: a notification must not reveal a customer out of scope.
    - `actor` (who caused it) is not told about their own action; inactive users are skipped.
    - `context` holds plain values only (see plain_context); `customer`, `recipient`, `url` and
      `event` are added per recipient.
    - Returns the notifications created. The e-mails are written in the same transaction and handed
      to the worker when it commits.
    """
    from customers.models import Customer

    kind = get_event(event)
    base = plain_context(dict(context or {}))
    customer = _customer_of(obj)
    url = str(base.pop("url", "") or _url_of(obj, customer))
    link = {}
    if obj is not None:
        link = {"content_type": ContentType.objects.get_for_model(obj), "object_id": str(obj.pk)}
    users = [u for u in _users(recipients) if actor is None or u.pk != getattr(actor, "pk", actor)]
    choices: dict[int, dict[str, bool]] = {}
    for user_id, email in NotificationPreference.objects.filter(
            user__in=users, event=kind.key).values_list("user_id", "email"):
        choices[user_id] = {kind.key: email}
    now = timezone.now()
    created: list[Notification] = []
    emails: list[tuple[Notification, OutgoingEmail]] = []
    for user in users:
        if customer is not None and not Customer.objects.restrict(user, "view").filter(pk=customer.pk).exists():
            continue
        context_for = {**base, "url": url, "event": {"key": kind.key, "label": str(kind.label)},
                       "recipient": {"name": str(user)}}
        if customer is not None:
            context_for["customer"] = _customer_context(customer, user)
        by_email = wants_email(user, kind, choices.get(user.pk, {}))
        rendered = _render_for(user, kind, context_for, email=by_email)
        note = Notification(recipient=user, event=kind.key, title=rendered.title, summary=rendered.summary, url=url,
                            customer=customer, created_at=now, **link)
        created.append(note)
        if rendered.email is not None:
            subject, text, html = rendered.email
            emails.append((note, OutgoingEmail(to=user.email, subject=subject, body_text=text, body_html=html,
                                               language=recipient_language(user), event=kind.key,
                                               next_attempt_at=now, created_at=now)))
    with transaction.atomic():
        Notification.objects.bulk_create(created)
        for note, message in emails:
            message.notification = note
        OutgoingEmail.objects.bulk_create([m for _n, m in emails])
        if emails:
            from work.outbox import enqueue_sending

            # robust: a failed enqueue is logged, not raised — the change is committed by then, and
            # the next send (or the daily sweep) takes the queued message.
            transaction.on_commit(enqueue_sending, robust=True)
    return created


def mark_read(*, actor: Any, notification_id: int) -> Notification:
    """Mark one of the actor's notifications read (Notification.DoesNotExist for anyone else's)."""
    note = Notification.objects.restrict(actor, "change").get(pk=notification_id)
    if note.read_at is None:
        note.read_at = timezone.now()
        Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=note.read_at)
    return note


def mark_all_read(*, actor: Any) -> int:
    """Mark all the actor's unread notifications read; returns how many were."""
    return Notification.objects.restrict(actor, "change").filter(read_at__isnull=True).update(read_at=timezone.now())


def set_email_preferences(*, actor: Any, choices: Mapping[str, bool]) -> dict[str, bool]:
    """Set whether the actor gets each event (key → on/off) by e-mail; returns every event's setting.
    An unknown key is refused and nothing is changed."""
    known = {e.key for e in events()}
    unknown = sorted(set(choices) - known)
    if unknown:
        raise ValidationError(_("Unknown notification type: %(keys)s") % {"keys": ", ".join(unknown)},
                              code="unknown_event")
    with transaction.atomic():
        for key, on in choices.items():
            NotificationPreference.objects.update_or_create(user=actor, event=key, defaults={"email": bool(on)})
    from work.selectors_notifications import email_preferences

    return {p.key: p.email for p in email_preferences(user=actor)}


def may_manage_outbox(user: Any) -> bool:
    """Administrators see the outbox (every user's mail) and retry failed messages."""
    return bool(user and user.is_authenticated and user.can(Cap.MANAGE_USERS))


def retry_email(*, actor: Any, email_id: int) -> OutgoingEmail:
    """Put a failed (or queued) message back in the queue for a new round of attempts now."""
    if not may_manage_outbox(actor):
        raise PermissionDenied
    with transaction.atomic():
        message = OutgoingEmail.objects.select_for_update().get(pk=email_id)
        if message.status == EmailStatus.SENT:
            raise ValidationError(_("This message was sent already."), code="sent")
        if message.status == EmailStatus.SENDING:
            raise ValidationError(_("This message is being sent right now."), code="sending")
        message.status, message.attempts, message.next_attempt_at = EmailStatus.QUEUED, 0, timezone.now()
        message.save(update_fields=["status", "attempts", "next_attempt_at"])
        from work.outbox import enqueue_sending

        transaction.on_commit(enqueue_sending, robust=True)
    return message


@transaction.atomic
def email_to_address(*, to: str, subject: str, body_text: str, body_html: str = "", language: str,
                     event: str = "") -> OutgoingEmail:
    """Queue one e-mail to an address that is not a kehu user's — a customer's, for example — through
    the same outbox as notifications (retries, the administrators' outbox page). The caller decides
    that the message may be sent and renders it; this checks the address and a one-line subject, and
    hands the message to the worker when the transaction commits. `event` names the sender (a key,
    e.g. "retention.winback"), for the outbox page."""
    from django.core.validators import validate_email

    to = (to or "").strip()
    try:
        validate_email(to)
    except ValidationError as exc:
        raise ValidationError({"to": _("Enter a valid e-mail address.")}) from exc
    subject = _one_line(subject, 300)
    if not subject:
        raise ValidationError({"subject": _("The e-mail needs a subject.")})
    if not (body_text or "").strip():
        raise ValidationError({"body_text": _("The e-mail needs a text.")})
    now = timezone.now()
    message = OutgoingEmail.objects.create(to=to, subject=subject, body_text=body_text, body_html=body_html,
                                           language=language, event=event[:60], next_attempt_at=now, created_at=now)
    from work.outbox import enqueue_sending

    transaction.on_commit(enqueue_sending, robust=True)
    return message
