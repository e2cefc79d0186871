"""`email_to_address`: a message to an address that is not a user's (e.g. a customer's), through the
outbox and a real SMTP server on 127.0.0.1; bad input refused with nothing queued."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from work import outbox
from work.models import EmailStatus, OutgoingEmail
from work.services_notifications import email_to_address

pytestmark = pytest.mark.django_db


def test_sent_to_the_address_through_the_outbox(smtp_server):
    message = email_to_address(to=" ouyang@example.cn ", subject="我们为您准备了\n专属优惠", body_text="欧阳先生，您好",
                               language="zh-hans", event="retention.winback")
    assert (message.to, message.subject, message.event) == ("ouyang@example.cn", "我们为您准备了 专属优惠",
                                                            "retention.winback")
    report = outbox.send_due()
    assert report.sent == 1
    [sent] = smtp_server.messages
    assert sent["To"] == "ouyang@example.cn" and sent["Content-Language"] == "zh-hans"
    assert sent.get_body(("plain",)).get_content().strip() == "欧阳先生，您好"
    assert OutgoingEmail.objects.get().status == EmailStatus.SENT


@pytest.mark.parametrize(("to", "subject", "text", "field"), [
    ("not-an-address", "s", "t", "to"), ("a@example.cn", "  ", "t", "subject"), ("a@example.cn", "s", " ", "body_text"),
])
def test_bad_input_queues_nothing(to, subject, text, field):
    with pytest.raises(ValidationError) as exc:
        email_to_address(to=to, subject=subject, body_text=text, language="en")
    assert field in exc.value.message_dict
    assert not OutgoingEmail.objects.exists()
