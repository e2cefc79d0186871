"""E-mail through a real SMTP server on 127.0.0.1 (aiosmtpd): delivery with headers, language and
merge fields, autoescaped HTML, retries with back-off, then a failed entry — never a lost message;
the settings from KEHU_SMTP_* (and `kehu sendtestemail` through them); the file backend without."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from kehu.mail_settings import mail_settings
from work import outbox
from work.models import EmailStatus, OutgoingEmail
from work.services_notifications import notify, retry_email
from work.tests.smtp_server import LocalSMTPServer, free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def recipient(make_user, team_a):
    return make_user("sales", team_a, email="wang.fang@example.com", language="zh-hans", first_name="芳",
                     last_name="王")


@pytest.fixture
def english_recipient(make_user, team_a):
    return make_user("sales", team_a, email="alice@example.com", language="en", first_name="Alice")


def _assign(users, customer, title="回电确认办理意向"):
    return notify(recipients=users, event="work.assignment", obj=customer,
                  context={"item": {"title": title, "due": date(2026, 12, 9)}, "actor": {"name": "张敏"}})


def test_delivery_headers_language_and_merge_fields(smtp_server, recipient, english_recipient, customer_a, settings):
    settings.KEHU_SITE_URL = "https://crm.example.com"
    _assign([recipient, english_recipient], customer_a)

    report = outbox.send_due()

    assert report.sent == 2 and report.failed == report.retried == 0
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {EmailStatus.SENT}
    by_to = {m["To"]: m for m in smtp_server.messages}
    zh, en = by_to["wang.fang@example.com"], by_to["alice@example.com"]
    assert zh["From"] == en["From"] == "kehu@crm.example.com"
    assert zh["Content-Language"] == "zh-hans" and en["Content-Language"] == "en"
    assert zh["Subject"].strip() == "分配给您：回电确认办理意向（张伟）"
    assert en["Subject"].strip() == "Assigned to you: 回电确认办理意向 (张伟)"
    zh_text = zh.get_body(("plain",)).get_content()
    assert "王芳，您好" in zh_text and "张敏 给您分配了：回电确认办理意向" in zh_text
    assert "张伟" in zh_text and "sales_a" in zh_text  # the customer and its owner
    assert f"https://crm.example.com/customers/{customer_a.pk}/" in zh_text
    en_html = en.get_body(("html",)).get_content()
    assert '<html lang="en">' in en_html and "Hello Alice," in en_html
    assert "Dec. 9, 2026" in en_html  # the due date in the recipient's language


def test_merge_fields_are_autoescaped_in_the_html_part_only(smtp_server, english_recipient, make_customer, sales_a):
    customer = make_customer(sales_a, name="<script>alert(1)</script> & Co")
    _assign([english_recipient], customer, title="<b>call</b>")
    outbox.send_due()
    [message] = smtp_server.messages
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    assert "&lt;b&gt;call&lt;/b&gt;" in html
    # Plain text is not HTML: it keeps the characters as they are.
    assert "<script>alert(1)</script> & Co" in message.get_body(("plain",)).get_content()
    assert message["Subject"].strip() == "Assigned to you: <b>call</b> (<script>alert(1)</script> & Co)"


def test_a_refusing_server_means_retries_with_backoff_then_failed(smtp_server, english_recipient, customer_a,
                                                                  settings):
    settings.KEHU_MAIL_MAX_ATTEMPTS = 3
    settings.KEHU_MAIL_RETRY_SECONDS = 60
    smtp_server.refuse = "451 4.3.0 Mailbox temporarily unavailable"
    _assign([english_recipient], customer_a)
    message = OutgoingEmail.objects.get()

    start = timezone.now()
    report = outbox.send_due(now=start)
    message.refresh_from_db()
    assert report.retried == 1 and message.status == EmailStatus.QUEUED and message.attempts == 1
    assert "451" in message.last_error and "Mailbox temporarily unavailable" in message.last_error
    assert timedelta(seconds=59) < message.next_attempt_at - start <= timedelta(seconds=61)
    assert outbox.send_due(now=start).sent == 0  # not due yet: nothing is tried

    second = message.next_attempt_at
    outbox.send_due(now=second)
    message.refresh_from_db()
    assert message.attempts == 2 and message.status == EmailStatus.QUEUED
    assert timedelta(seconds=119) < message.next_attempt_at - second  # doubled

    report = outbox.send_due(now=message.next_attempt_at)
    message.refresh_from_db()
    assert report.failed == 1 and message.status == EmailStatus.FAILED and message.attempts == 3
    assert "451" in message.last_error
    assert smtp_server.messages == []

    # The administrator retries once the server is well again: delivered, nothing lost.
    smtp_server.refuse = None
    retry_email(actor=_admin(), email_id=message.pk)
    assert outbox.send_due().sent == 1
    message.refresh_from_db()
    assert message.status == EmailStatus.SENT and message.sent_at is not None
    assert [m["To"] for m in smtp_server.messages] == ["alice@example.com"]


def _admin():
    from accounts.models import User

    return User.objects.create_user(username="outbox_admin", role="admin", password="x" * 12)


def test_connection_refused_keeps_the_message_queued_with_the_error(settings, english_recipient, customer_a):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.KEHU_MAIL_MAX_ATTEMPTS = 2
    _assign([english_recipient], customer_a)
    outbox.send_due()
    message = OutgoingEmail.objects.get()
    assert message.status == EmailStatus.QUEUED and "ConnectionRefusedError" in message.last_error
    outbox.send_due(now=message.next_attempt_at)
    message.refresh_from_db()
    assert message.status == EmailStatus.FAILED and message.attempts == 2


def test_a_message_left_sending_by_a_dead_worker_goes_back_to_the_queue(smtp_server, english_recipient, customer_a,
                                                                        settings):
    settings.KEHU_MAIL_LEASE_SECONDS = 600
    _assign([english_recipient], customer_a)
    message = OutgoingEmail.objects.get()
    long_ago = timezone.now() - timedelta(hours=1)
    OutgoingEmail.objects.filter(pk=message.pk).update(status=EmailStatus.SENDING, claimed_at=long_ago, claim="x",
                                                       attempts=1)
    assert outbox.send_due().sent == 1
    message.refresh_from_db()
    assert message.status == EmailStatus.SENT and message.attempts == 2
    # One claimed a moment ago is another worker's: left alone.
    _assign([english_recipient], customer_a, title="second")
    fresh = OutgoingEmail.objects.exclude(pk=message.pk).get()
    OutgoingEmail.objects.filter(pk=fresh.pk).update(status=EmailStatus.SENDING, claimed_at=timezone.now(), claim="y")
    assert outbox.send_due().sent == 0
    assert OutgoingEmail.objects.get(pk=fresh.pk).status == EmailStatus.SENDING


def test_batches_share_one_connection_and_all_arrive(smtp_server, make_user, team_a, customer_a):
    users = [make_user("sales", team_a, email=f"u{i}@example.com") for i in range(7)]
    _assign(users, customer_a)
    report = outbox.send_due(batch=3)
    assert report.sent == 7
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(u.email for u in users)


def test_notify_hands_the_outbox_to_the_worker_on_commit(english_recipient, customer_a,
                                                         django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _assign([english_recipient], customer_a)
    assert len(callbacks) == 1
    assert DBTaskResult.objects.filter(task_path="work.notification_tasks.send_outbox_task").count() == 1


def test_the_task_sends_and_schedules_a_retry(smtp_server, english_recipient, customer_a):
    from django_tasks_db.models import DBTaskResult

    from work.notification_tasks import send_outbox_task

    smtp_server.refuse = "451 4.3.0 later"
    _assign([english_recipient], customer_a)
    assert send_outbox_task.call() == {"sent": 0, "retried": 1, "failed": 0}
    scheduled = DBTaskResult.objects.get(task_path="work.notification_tasks.send_outbox_task")
    assert scheduled.run_after == OutgoingEmail.objects.get().next_attempt_at


def test_file_backend_without_smtp_settings(settings, tmp_path, english_recipient, customer_a):
    config = mail_settings({}, tmp_path)
    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert config["EMAIL_FILE_PATH"] == str(tmp_path / "mail")
    for name, value in config.items():
        setattr(settings, name, value)
    _assign([english_recipient], customer_a)
    assert outbox.send_due().sent == 1
    [written] = list((tmp_path / "mail").iterdir())
    assert "alice@example.com" in written.read_text()


def test_smtp_settings_from_the_environment(tmp_path):
    config = mail_settings({"KEHU_SMTP_HOST": "smtp.example.com", "KEHU_SMTP_USER": "crm", "KEHU_SMTP_PASSWORD": "pw",
                            "KEHU_SMTP_SECURITY": "tls", "KEHU_MAIL_FROM": "CRM <crm@example.com>"}, tmp_path)
    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (config["EMAIL_HOST"], config["EMAIL_PORT"]) == ("smtp.example.com", 465)
    assert (config["EMAIL_USE_SSL"], config["EMAIL_USE_TLS"]) == (True, False)
    assert (config["EMAIL_HOST_USER"], config["EMAIL_HOST_PASSWORD"]) == ("crm", "pw")
    assert config["DEFAULT_FROM_EMAIL"] == "CRM <crm@example.com>"
    starttls = mail_settings({"KEHU_SMTP_HOST": "h"}, tmp_path)
    assert (starttls["EMAIL_PORT"], starttls["EMAIL_USE_TLS"], starttls["EMAIL_USE_SSL"]) == (587, True, False)
    plain = mail_settings({"KEHU_SMTP_HOST": "h", "KEHU_SMTP_SECURITY": "none", "KEHU_SMTP_PORT": "2525"}, tmp_path)
    assert (plain["EMAIL_PORT"], plain["EMAIL_USE_TLS"], plain["EMAIL_USE_SSL"]) == (2525, False, False)
    with pytest.raises(ImproperlyConfigured, match="none, starttls, tls"):
        mail_settings({"KEHU_SMTP_HOST": "h", "KEHU_SMTP_SECURITY": "ssl"}, tmp_path)
    with pytest.raises(ImproperlyConfigured, match="port number"):
        mail_settings({"KEHU_SMTP_HOST": "h", "KEHU_SMTP_PORT": "smtp"}, tmp_path)


def test_sendtestemail_delivers_through_the_environment_settings(tmp_path):
    with LocalSMTPServer() as server:
        env = {**os.environ, "KEHU_SMTP_HOST": "127.0.0.1", "KEHU_SMTP_PORT": str(server.port),
               "KEHU_SMTP_SECURITY": "none", "KEHU_MAIL_FROM": "kehu@crm.example.com",
               "KEHU_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
        done = subprocess.run([sys.executable, "-m", "kehu", "sendtestemail", "ops@example.com"], env=env,
                              cwd=Path(django_settings.BASE_DIR), capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        [message] = server.messages
    assert message["To"] == "ops@example.com" and message["From"] == "kehu@crm.example.com"
    assert "Test email from" in message["Subject"]


def test_the_daily_sweep_is_registered_and_sends_what_is_due(smtp_server, english_recipient, customer_a):
    from core.periodic import jobs
    from work.notification_tasks import outbox_sweep_task

    [job] = [j for j in jobs() if j.name == "outbox_sweep"]
    assert job.task == "work.notification_tasks.outbox_sweep_task"
    _assign([english_recipient], customer_a)
    assert outbox_sweep_task.call() == {"sent": 1, "retried": 0, "failed": 0}
    assert [m["To"] for m in smtp_server.messages] == ["alice@example.com"]
