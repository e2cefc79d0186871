"""The HTML list's rows (selectors.customer_list_rows): the same customers, order and cursors as the
plain-ORM reference customer_list (customers/tests/reference.py), read as dicts, masked; a
one-character search walks the pinyin ranges."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypinyin.constants import PHRASES_DICT

from customers import selectors, services
from customers.models import Customer
from customers.search import first_readings, name_keys
from customers.tests import reference

pytestmark = pytest.mark.django_db

NAMES = ["王五", "王芳", "王伟", "汪洋", "李王", "赵六", "王小明", "单雄信", "单田芳", "曾国藩", "乐嘉", "王"]
ORGANISATIONS = ["王府井百货有限公司", "单位服务中心", "乐山旅游公司", "曾经沧海贸易公司", "王老吉饮料"]


@pytest.fixture
def listed_customers(make_customer, sales_a, sales_b, manager_a):
    vip = services.tag_create(actor=sales_a, name="VIP")
    made = [make_customer(sales_a, name=n, phone="138-0000-1111", city="北京" if i % 2 else "上海",
                          industry="金融" if i % 3 else "")
            for i, n in enumerate(NAMES)]
    made += [make_customer(sales_a, name=n, kind="organisation", city="北京") for n in ORGANISATIONS]
    services.customers_bulk_add_tag(actor=sales_a, customer_ids=[c.pk for c in made[::2]], tag=vip)
    make_customer(sales_b, name="王别人", phone="139-0000-2222")  # another team: never listed for team A
    return made


def _walk(fetch, size):
    """Every page forward, then back from the last page: the ids in list order, both ways."""
    pages, cursor = [], None
    while True:
        page = fetch(cursor=cursor, size=size)
        pages.append(page)
        if not page.has_next:
            break
        cursor = page.next_cursor
    forward = [_pk(r) for p in pages for r in p.items]
    backward, cursor = [], pages[-1].previous_cursor
    while cursor:
        page = fetch(cursor=cursor, size=size)
        backward = [_pk(r) for r in page.items] + backward
        cursor = page.previous_cursor
    return forward, backward + [_pk(r) for r in pages[-1].items]


def _pk(row):
    return row["id"] if isinstance(row, dict) else row.pk


@pytest.mark.parametrize("ids_up_to", [1000, 2])
def test_rows_are_customer_list_in_dicts(listed_customers, manager_a, monkeypatch, ids_up_to):
    monkeypatch.setattr(selectors, "SEARCH_LIST_IDS", ids_up_to)
    tag = listed_customers[0].tags.get().pk
    for sort in selectors.CUSTOMER_SORTS:
        for filters in [{}, {"city": "北京"}, {"tag": tag}, {"q": "王"}, {"q": "王伟"}, {"q": "wang"}]:
            rows = lambda f=filters, s=sort, **kw: selectors.customer_list_rows(  # noqa: E731
                user=manager_a, filters=f, sort=s, **kw)
            models = lambda f=filters, s=sort, **kw: reference.customer_list(  # noqa: E731
                user=manager_a, filters=f, sort=s, **kw)
            forward, backward = _walk(rows, 3)
            assert forward == backward == _walk(models, 3)[0], (sort, filters)
            assert forward  # every case lists someone
            by_pk = {c.pk: c for c in models(size=100).items}
            for row in rows(size=100).items:
                c = by_pk[row["id"]]
                assert (row["name"], row["phone"], row["city"], row["team__name"], row["owner_id"]) == (
                    c.name, c.phone, c.city, c.team.name, c.owner_id)
                assert row["tags"] == [t.name for t in c.tags.all()]


def test_one_character_search_reads_pinyin_ranges_in_order(listed_customers, sales_a, monkeypatch):
    """Many matches (more than SEARCH_LIST_IDS): each reading's range is walked in the sort's index;
    every match of the user's scope is listed once, in pinyin order, forward and back."""
    monkeypatch.setattr(selectors, "SEARCH_LIST_IDS", 1)
    visible = Customer.objects.restrict(sales_a, "view")
    for q in ("王", "单", "乐", "曾"):
        for sort, reverse in (("name", False), ("-name", True)):
            expected = [pk for _key, pk in sorted(
                ((c.name_pinyin, c.pk) for c in visible if c.name.startswith(q)), reverse=reverse)]
            assert len(expected) >= 2, q
            fetch = lambda q=q, sort=sort, **kw: selectors.customer_list_rows(  # noqa: E731
                user=sales_a, filters={"q": q}, sort=sort, **kw)
            with CaptureQueriesContext(connection) as ctx:
                forward, backward = _walk(fetch, 2)
            assert forward == backward == expected, (q, sort)
            ranges = [f"'{r}'" for r in first_readings(q)]  # the range plan ran: one range per reading
            assert all(any(r in query["sql"] for query in ctx.captured_queries) for r in ranges)
            assert any("OFFSET 1" in query["sql"] for query in ctx.captured_queries)  # counted by one probe


def test_rows_mask_phones_for_analyst(customer_a, analyst, sales_a):
    [row] = selectors.customer_list_rows(user=analyst, filters={}).items
    assert row["phone"] == "138****5678"
    [row] = selectors.customer_list_rows(user=sales_a, filters={}).items
    assert row["phone"] == "138-1234-5678"
    rows = selectors.mask_rows(analyst, [{"phone": "138-1234-5678", "phone_alt": "139-1234-5678",
                                          "id_number": "110101199003071233", "name": "张伟"}])
    assert "5678" in rows[0]["phone"] and "1234-5" not in rows[0]["phone"] + rows[0]["phone_alt"]
    assert rows[0]["id_number"] != "110101199003071233" and rows[0]["name"] == "张伟"


def test_a_page_of_rows_is_two_queries(listed_customers, manager_a, django_assert_num_queries):
    # the cities "北京" stands for (customers.selectors.cities_starting_with: one query of two index
    # seeks), the page (with owner and team names) and its tags
    with django_assert_num_queries(3):
        page = selectors.customer_list_rows(user=manager_a, filters={"city": "北京"}, sort="name")
    assert page.items


@pytest.mark.parametrize("char", ["王", "李", "单", "曾", "乐", "解", "重", "区", "朴", "长", "于", "恒", "北"])
def test_first_readings_cover_every_name_key(char):
    """A name starting with the character, person or organisation, has a pinyin key starting with
    one of first_readings(char) (so the range plan cannot miss it)."""
    readings = first_readings(char)
    names = [char + given for given in ("", "伟", "思", "晓燕", "家", "行长", "乐")]
    names += [p for p in PHRASES_DICT if p[0] == char][:300]
    for name in names:
        for person in (True, False):
            key = name_keys(name, person)[0]
            assert any(key.startswith(r) for r in readings), (name, person, key, readings)


def test_first_readings_of_what_has_no_reading():
    assert first_readings("a") is None and first_readings("王伟") is None and first_readings("1") is None
