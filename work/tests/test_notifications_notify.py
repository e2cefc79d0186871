"""notify(): fan-out to several recipients, e-mail by preference, scope and masking per recipient,
the recipient's language, plain contexts only, and the event registry's contract."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from customers.services import customer_transfer_owner
from work import selectors_notifications as selectors
from work.events import EMAIL, INAPP, get_event, register_event, unregister_event
from work.models import EmailStatus, Notification, NotificationPreference, OutgoingEmail
from work.services_notifications import notify, plain_context, set_email_preferences

pytestmark = pytest.mark.django_db

ITEM = {"item": {"title": "回电确认办理意向", "due": date(2026, 12, 9)}}


def _emails(user):
    return list(OutgoingEmail.objects.filter(to=user.email))


def test_fan_out_to_several_recipients_with_their_preferences(make_user, team_a, customer_a, sales_a):
    first = make_user("sales", team_a, email="first@example.com", language="en")
    second = make_user("sales", team_a, email="second@example.com", language="zh-hans")
    third = make_user("manager", team_a, email="third@example.com")
    set_email_preferences(actor=third, choices={"work.assignment": False})

    created = notify(recipients=[first, second, third, first], event="work.assignment", obj=customer_a,
                     context={**ITEM, "actor": {"name": "王芳"}})

    assert sorted(n.recipient_id for n in created) == sorted([first.pk, second.pk, third.pk])
    assert Notification.objects.count() == 3
    # E-mail off: only the inbox.
    assert _emails(third) == []
    [mail_first] = _emails(first)
    [mail_second] = _emails(second)
    assert mail_first.status == EmailStatus.QUEUED and mail_first.language == "en"
    assert mail_first.subject == "Assigned to you: 回电确认办理意向 (张伟)"
    assert mail_second.language == "zh-hans"
    assert "分配给您" in mail_second.subject and "张伟" in mail_second.subject
    assert "王芳" in mail_first.body_text and "张伟" in mail_first.body_html
    assert mail_first.notification.recipient_id == first.pk


def test_mentions_are_in_app_only_by_default_and_email_when_chosen(make_user, team_a, sales_a):
    user = make_user("sales", team_a, email="m@example.com")
    notify(recipients=[user], event="work.mention", context={"actor": {"name": "A"}, "excerpt": "hi"})
    assert not OutgoingEmail.objects.exists()
    assert get_event("work.mention").default_channels == frozenset({INAPP})
    set_email_preferences(actor=user, choices={"work.mention": True})
    notify(recipients=[user], event="work.mention", context={"actor": {"name": "A"}, "excerpt": "hi"})
    assert OutgoingEmail.objects.count() == 1


def test_a_user_without_an_address_gets_the_inbox_only(make_user, team_a):
    user = make_user("sales", team_a, email="")
    notify(recipients=[user], event="work.reminder", context=ITEM)
    assert Notification.objects.filter(recipient=user).count() == 1
    assert not OutgoingEmail.objects.exists()


def test_no_notification_about_a_customer_out_of_the_recipients_scope(customer_b, sales_a, sales_b, manager_a,
                                                                     admin_user):
    sales_a.email = "a@example.com"
    sales_a.save()
    created = notify(recipients=[sales_a, sales_b, manager_a, admin_user], event="work.reminder", obj=customer_b,
                     context=ITEM)
    # sales_a and manager_a are in team A: customer_b (team B) is not theirs to see.
    assert {n.recipient_id for n in created} == {sales_b.pk, admin_user.pk}
    assert not Notification.objects.filter(recipient__in=[sales_a, manager_a]).exists()
    assert not OutgoingEmail.objects.filter(to="a@example.com").exists()


@pytest.fixture
def phone_event():
    register_event("tests.phone", "phone", default_channels=(INAPP,),
                   subject_template="work/tests/phone_subject.txt", text_template="work/tests/phone_subject.txt",
                   html_template="work/tests/phone_subject.txt")
    yield
    unregister_event("tests.phone")


def test_customer_fields_are_masked_as_the_recipient_sees_them(customer_a, analyst, admin_user, phone_event):
    notify(recipients=[analyst, admin_user], event="tests.phone", obj=customer_a)
    shown = dict(Notification.objects.values_list("recipient_id", "title"))
    assert shown[admin_user.pk] == "张伟 138-1234-5678"
    assert shown[analyst.pk] == "张伟 138****5678"  # analysts see phones masked


def test_the_inbox_hides_a_notification_whose_customer_left_the_recipients_scope(customer_a, sales_a, sales_b,
                                                                                  manager_a):
    notify(recipients=[sales_a], event="work.reminder", obj=customer_a, context=ITEM)
    [row] = selectors.inbox_page(user=sales_a).items
    assert row.customer_visible and "张伟" in row.title
    customer_transfer_owner(actor=manager_a, customer_id=customer_a.pk, to_user=sales_b, reason="moved")
    [row] = selectors.inbox_page(user=sales_a).items
    assert not row.customer_visible


def test_the_actor_is_not_told_about_their_own_action(sales_a, manager_a):
    created = notify(recipients=[sales_a, manager_a], event="work.assignment", context=ITEM, actor=manager_a)
    assert [n.recipient_id for n in created] == [sales_a.pk]


def test_inactive_users_are_skipped(make_user, team_a):
    gone = make_user("sales", team_a, is_active=False)
    assert notify(recipients=[gone], event="work.reminder", context=ITEM) == []


def test_the_context_takes_plain_values_only(sales_a, customer_a):
    with pytest.raises(TypeError, match="Customer is not a plain value"):
        notify(recipients=[sales_a], event="work.reminder", context={"item": customer_a})
    with pytest.raises(TypeError, match=r"context\.item\.owner"):
        plain_context({"item": {"owner": sales_a}})
    assert not Notification.objects.exists()
    assert plain_context({"a": [1, None, {"b": date(2026, 1, 2)}]}) == {"a": [1, "", {"b": date(2026, 1, 2)}]}


def test_an_unknown_event_is_an_error(sales_a):
    with pytest.raises(LookupError):
        notify(recipients=[sales_a], event="work.no_such_event", context={})


def test_registering_an_event_without_the_inbox_is_refused():
    with pytest.raises(ValueError, match="in-app"):
        register_event("tests.bad", "bad", default_channels=(EMAIL,), subject_template="x", text_template="x",
                       html_template="x")
    with pytest.raises(ValueError, match="unknown channels"):
        register_event("tests.bad", "bad", default_channels=(INAPP, "sms"), subject_template="x",
                       text_template="x", html_template="x")


def test_unknown_preference_keys_change_nothing(sales_a):
    with pytest.raises(ValidationError):
        set_email_preferences(actor=sales_a, choices={"work.reminder": False, "nope": True})
    assert not NotificationPreference.objects.exists()
