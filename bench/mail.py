"""Outbox rate: 10,000 queued e-mails sent to a local SMTP server (target: at least 100 per second).

Runs on a fresh SQLite database in a temporary folder (or the DATABASE_URL given): queues N messages
in the outbox (work.OutgoingEmail, as notify() writes them: a subject, a text and an HTML part), starts
a real SMTP server on 127.0.0.1 (aiosmtpd, work/tests/smtp_server.py), and times what the background
worker runs — work.outbox.send_due(): claim a batch, send it over one SMTP connection, record each
outcome — until the queue is empty. Checks that the server accepted every message.

    .venv/bin/python bench/mail.py [--messages 10000] [--batch 100]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_PER_SECOND = 100


def _setup(tmp: Path) -> None:
    os.environ.setdefault("KEHU_DATA_DIR", str(tmp))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    os.environ.setdefault("KEHU_LOG_LEVEL", "ERROR")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def queue(n: int) -> None:
    from work.models import OutgoingEmail

    html = ("<p>您好，王芳：</p><p>张敏 给您分配了：回电确认办理意向</p>"
            "<table><tr><th>客户</th><td>张伟</td></tr></table>") * 3
    text = "王芳，您好：\n\n张敏 给您分配了：回电确认办理意向\n客户：张伟\n截止：2026年12月9日\n" * 3
    OutgoingEmail.objects.bulk_create(
        [OutgoingEmail(to=f"user{i}@example.com", subject=f"分配给您：回电确认办理意向（客户{i}）", body_text=text,
                       body_html=html, language="zh-hans", event="work.assignment") for i in range(n)],
        batch_size=1000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.mail", description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100, help="messages per SMTP connection")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kehu-bench-mail-") as tmp:
        _setup(Path(tmp))
        from django.conf import settings

        from work import outbox
        from work.models import EmailStatus, OutgoingEmail
        from work.tests.smtp_server import LocalSMTPServer

        queue(args.messages)
        with LocalSMTPServer(keep_messages=False) as server:
            for name, value in server.django_settings().items():
                setattr(settings, name, value)
            started = time.perf_counter()
            report = outbox.send_due(batch=args.batch)
            seconds = time.perf_counter() - started
            accepted = server.accepted
        sent = OutgoingEmail.objects.filter(status=EmailStatus.SENT).count()
    rate = sent / seconds if seconds else 0.0
    ok = sent == accepted == args.messages and report.failed == report.retried == 0 and rate >= TARGET_PER_SECOND
    print(f"outbox: {sent:,} of {args.messages:,} sent ({accepted:,} accepted by the server) in {seconds:.1f} s "
          f"= {rate:,.0f} per second, batches of {args.batch} (target >= {TARGET_PER_SECOND}/s) → "
          f"{'pass' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
