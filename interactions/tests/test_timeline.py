"""The customer timeline on the card: every kind merged newest first, filter by kind, "older" pages
that neither lose nor repeat entries with equal timestamps, scoping, and a fixed query count."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from commerce import services as commerce
from commerce.models import Product
from core.testing import assert_query_baseline
from core.timeline import TimelineCursor, before_q, timeline_kinds, timeline_page
from customers.services import customer_transfer_owner
from interactions import services

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(dt.datetime(2026, 3, 10, 15, 30))


@pytest.fixture(autouse=True)
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def product(manager_a):
    return commerce.product_create(actor=manager_a, data={"code": "F1", "name": "稳健基金", "category": "基金",
                                                          "price": Decimal("100"), "unit_cost": Decimal("80")})


def _interaction(user, customer, at, subject="通话"):
    return services.interaction_create(actor=user, customer_id=customer.pk,
                                       data={"channel": "phone", "subject": subject, "occurred_at": at})


def _order(user, customer, product, at):
    return commerce.order_create(actor=user, customer_id=customer.pk, data={"ordered_at": at},
                                 lines=[{"product": product, "quantity": 1}])


def _cost(user, customer, day):
    return commerce.cost_create(actor=user, customer_id=customer.pk,
                                data={"kind": "service", "amount": Decimal("10"), "incurred_on": day})


def test_every_kind_is_registered():
    assert [k for k, _label in timeline_kinds()] == [
        "transfer", "order", "cost", "interaction", "asset_review", "service_request", "service_request_status"]


def test_entries_of_every_kind_merge_newest_first_and_filter_by_kind(customer_a, sales_a, manager_a, product):
    call = _interaction(sales_a, customer_a, T0 - dt.timedelta(hours=2), "上午来电")
    order = _order(sales_a, customer_a, product, T0 - dt.timedelta(hours=1))
    cost = _cost(sales_a, customer_a, T0.date() - dt.timedelta(days=1))
    transfer = customer_transfer_owner(actor=manager_a, customer_id=customer_a.pk, to_user=manager_a,
                                       reason="客户经理调岗")
    page = timeline_page(user=manager_a, customer_id=customer_a.pk)
    assert [(e.kind, e.pk) for e in page.entries] == [
        ("transfer", transfer.pk), ("order", order.pk), ("interaction", call.pk), ("cost", cost.pk)]
    assert page.next_cursor is None
    only = timeline_page(user=manager_a, customer_id=customer_a.pk, kinds=["order", "cost"])
    assert [e.kind for e in only.entries] == ["order", "cost"]
    entry = only.entries[0]
    assert (entry.amount, entry.currency, entry.badge_class) == (Decimal("100.00"), "CNY", "warn")


def test_older_pages_neither_lose_nor_repeat_entries_with_equal_times(customer_a, sales_a, product):
    # Many entries share timestamps (a batch import), across kinds, and costs are dated at midnight.
    for i in range(40):
        _interaction(sales_a, customer_a, T0 - dt.timedelta(hours=i // 7))
    for i in range(25):
        _order(sales_a, customer_a, product, T0 - dt.timedelta(hours=i // 5))
    for i in range(15):
        _cost(sales_a, customer_a, T0.date() - dt.timedelta(days=i // 4))
    seen, cursor = [], None
    while True:
        page = timeline_page(user=sales_a, customer_id=customer_a.pk, cursor=cursor, limit=7)
        seen += [e.sort_key for e in page.entries]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 80 == len(set(seen))
    assert seen == sorted(seen, reverse=True)


def test_before_q_on_dates_treats_a_cursor_inside_a_day_as_after_all_of_that_day():
    noon = TimelineCursor(timezone.make_aware(dt.datetime(2026, 1, 5, 12, 0)), "order", 9)
    assert before_q(field_name="d", kind="cost", before=noon, is_date=True) == Q(d__lte=dt.date(2026, 1, 5))
    midnight = TimelineCursor(timezone.make_aware(dt.datetime(2026, 1, 5)), "cost", 9)
    assert before_q(field_name="d", kind="cost", before=midnight, is_date=True) == (
        Q(d__lt=dt.date(2026, 1, 5)) | (Q(d=dt.date(2026, 1, 5)) & Q(pk__lt=9)))
    # Kinds sorting after the cursor's kind come before it at the same moment: not older.
    assert before_q(field_name="d", kind="order", before=midnight, is_date=True) == Q(d__lt=dt.date(2026, 1, 5))


def test_team_b_sees_nothing_of_team_a(client_for, customer_a, sales_a, sales_b, product):
    _interaction(sales_a, customer_a, T0)
    _order(sales_a, customer_a, product, T0)
    assert timeline_page(user=sales_b, customer_id=customer_a.pk).entries == []
    url = reverse("customers:customer_detail", args=[customer_a.pk])
    client = client_for(sales_b)
    assert client.get(url, {"tab": "timeline"}).status_code == 404
    assert client.get(url, {"tab": "timeline", "part": "entries"}, HTTP_HX_REQUEST="true").status_code == 404


def test_card_timeline_tab_runs_a_fixed_number_of_queries(client_for, customer_a, sales_a, product):
    url = reverse("customers:customer_detail", args=[customer_a.pk])
    client = client_for(sales_a)
    _interaction(sales_a, customer_a, T0)
    # One entry, then fifty of every kind: the same queries.
    assert_query_baseline("customers.detail.timeline", lambda: client.get(url, {"tab": "timeline"}))
    for i in range(30):
        _interaction(sales_a, customer_a, T0 - dt.timedelta(hours=i))
        _order(sales_a, customer_a, product, T0 - dt.timedelta(hours=i, minutes=30))
    _cost(sales_a, customer_a, T0.date())
    response = assert_query_baseline("customers.detail.timeline", lambda: client.get(url, {"tab": "timeline"}))
    assert len(response.context["timeline"].entries) == 50
    html = response.content.decode()
    assert html.count('class="tl-entry') == 50
    assert "Record an interaction" in html and "New order" in html
    # The "older" fragment continues where the page ended.
    older = client.get(url, {"tab": "timeline", "part": "entries", "before": response.context["timeline"].next_cursor},
                       HTTP_HX_REQUEST="true")
    assert older.status_code == 200 and "<html" not in older.content.decode()
    assert older.content.decode().count('class="tl-entry') == 12


def test_card_timeline_filter_by_kind_and_bad_cursor(client_for, customer_a, sales_a, product):
    _interaction(sales_a, customer_a, T0, "电话回访")
    _order(sales_a, customer_a, product, T0)
    url = reverse("customers:customer_detail", args=[customer_a.pk])
    client = client_for(sales_a)
    response = client.get(url, {"tab": "timeline", "kind": "interaction"})
    assert [e.kind for e in response.context["timeline"].entries] == ["interaction"]
    response = client.get(url, {"tab": "timeline", "kind": "order", "before": "garbage"})
    assert [e.kind for e in response.context["timeline"].entries] == ["order"]
    assert Product.objects.count() == 1
