"""Sending the outbox (work.OutgoingEmail): what the background worker runs.

- `send_due()` claims due messages in batches (one conditional UPDATE per batch decides which worker
  has which, so several workers never send one message twice), sends each batch over one SMTP
  connection, and records every message's outcome: sent, or back in the queue with its error and
  the next attempt after an exponential back-off (KEHU_MAIL_RETRY_SECONDS × 2^(attempt−1)), or
  failed after KEHU_MAIL_MAX_ATTEMPTS. A message is never dropped: whatever happens it stays in the
  outbox with its status and last error.
- A message left "sending" longer than KEHU_MAIL_LEASE_SECONDS (its worker died mid-batch) goes back
  to the queue (`requeue_stuck`): it may then be sent twice, never zero times.
- After a failure the task enqueues itself for when the next retry is due (django-tasks `run_after`);
  the daily sweep (core/periodic.py, work/registrations/notifications.py) and every later send catch
  anything an enqueue missed.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Min
from django.utils import timezone

from work.models import EmailStatus, OutgoingEmail

logger = logging.getLogger(__name__)

BATCH = 100


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def backoff(attempts: int) -> timedelta:
    """The wait before the next attempt after `attempts` failed ones: 1, 2, 4 … × the base, at most a day."""
    base = _setting("KEHU_MAIL_RETRY_SECONDS", 60)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 86400))


def requeue_stuck(now: datetime | None = None) -> int:
    """Messages claimed longer ago than the lease go back to the queue; returns how many."""
    now = now or timezone.now()
    lease = timedelta(seconds=_setting("KEHU_MAIL_LEASE_SECONDS", 600))
    return OutgoingEmail.objects.filter(status=EmailStatus.SENDING, claimed_at__lt=now - lease).update(
        status=EmailStatus.QUEUED, claim="", next_attempt_at=now)


def _claim(now: datetime, size: int) -> list[OutgoingEmail]:
    ids = list(OutgoingEmail.objects.filter(status=EmailStatus.QUEUED, next_attempt_at__lte=now)
               .order_by("next_attempt_at", "id").values_list("id", flat=True)[:size])
    if not ids:
        return []
    token = uuid.uuid4().hex
    # Conditional: a row another worker claimed meanwhile is no longer "queued" and stays theirs.
    OutgoingEmail.objects.filter(pk__in=ids, status=EmailStatus.QUEUED).update(
        status=EmailStatus.SENDING, claim=token, claimed_at=now, attempts=F("attempts") + 1)
    return list(OutgoingEmail.objects.filter(claim=token, status=EmailStatus.SENDING).order_by("id"))


def _message(email: OutgoingEmail, connection: object) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject, body=email.body_text, from_email=settings.DEFAULT_FROM_EMAIL, to=[email.to],
        connection=connection, headers={"Content-Language": email.language},
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    return message


def _send_batch(batch: list[OutgoingEmail], report: SendReport, now: datetime | None) -> None:
    connection = get_connection()
    sent: list[int] = []
    failures: list[tuple[OutgoingEmail, str]] = []
    try:
        connection.open()
    except Exception as exc:  # the server is down or refuses us: every message of the batch waits
        failures = [(email, _error(exc)) for email in batch]
    else:
        try:
            for email in batch:
                try:
                    connection.send_messages([_message(email, connection)])
                except Exception as exc:  # noqa: BLE001 - any SMTP or socket error is this message's outcome
                    failures.append((email, _error(exc)))
                    # A broken connection is reopened for the rest of the batch.
                    connection.close()
                    try:
                        connection.open()
                    except Exception as reopen:  # noqa: BLE001
                        rest = batch[batch.index(email) + 1:]
                        failures.extend((other, _error(reopen)) for other in rest)
                        break
                else:
                    sent.append(email.pk)
        finally:
            connection.close()
    now = now or timezone.now()
    with transaction.atomic():
        if sent:
            OutgoingEmail.objects.filter(pk__in=sent).update(status=EmailStatus.SENT, sent_at=now, claim="",
                                                             last_error="")
            report.sent += len(sent)
        max_attempts = _setting("KEHU_MAIL_MAX_ATTEMPTS", 5)
        for email, error in failures:
            if email.attempts >= max_attempts:
                OutgoingEmail.objects.filter(pk=email.pk).update(status=EmailStatus.FAILED, last_error=error, claim="")
                report.failed += 1
            else:
                OutgoingEmail.objects.filter(pk=email.pk).update(status=EmailStatus.QUEUED, last_error=error, claim="",
                                                                 next_attempt_at=now + backoff(email.attempts))
                report.retried += 1
            report.errors.append(error)
    for email, error in failures:
        logger.warning("e-mail %s to %s not sent (attempt %s): %s", email.pk, email.to, email.attempts, error)


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def send_due(*, now: datetime | None = None, batch: int = BATCH, limit: int | None = None) -> SendReport:
    """Send every message due at `now` (default: now), `batch` at a time over one connection each.
    `limit` caps how many are taken (None: until none is due)."""
    report = SendReport()
    requeue_stuck(now)
    taken = 0
    while limit is None or taken < limit:
        size = batch if limit is None else min(batch, limit - taken)
        claimed = _claim(now or timezone.now(), size)
        if not claimed:
            break
        taken += len(claimed)
        _send_batch(claimed, report, now)
    return report


def next_retry_at() -> datetime | None:
    """When the earliest waiting message is due (None when the queue is empty)."""
    return OutgoingEmail.objects.filter(status=EmailStatus.QUEUED).aggregate(at=Min("next_attempt_at"))["at"]


def enqueue_sending(run_after: datetime | None = None) -> None:
    """Hand the outbox to the background worker (now, or at `run_after`)."""
    from work.notification_tasks import send_outbox_task

    task = send_outbox_task.using(run_after=run_after) if run_after else send_outbox_task
    task.enqueue()
