"""The search index behind the header search and the list's search box (core.db + migration 0004).

Writes through the services, and rows written any other way (bulk loads, queryset updates), keep
the index in sync; short Chinese names, names inside longer names, pinyin, initials, phone
fragments and e-mail prefixes are found; results are always the user's scope; exact names rank
first; a search costs a fixed number of queries.
"""

from __future__ import annotations

import random
from io import StringIO

import pytest
from django.core.management import call_command

from core.db import text_index_deferred, text_index_problems
from core.testing import assert_query_baseline
from customers import selectors
from customers.models import Customer
from customers.search import CUSTOMER_TEXT_INDEX, name_keys, phone_digits
from customers.services import customer_create, customer_delete, customer_restore, customer_update

pytestmark = pytest.mark.django_db


def names(user, q, limit=50):
    return [h.customer.name for h in selectors.customer_search(user=user, q=q, limit=limit)]


def listed(user, q):
    return [r["name"] for r in selectors.customer_list_rows(user=user, filters={"q": q}, size=200).items]


def in_sync():
    assert text_index_problems(CUSTOMER_TEXT_INDEX) == []


@pytest.fixture
def people(make_customer, sales_a):
    made = {}
    for name, phone, email in [
        ("张伟", "138-1234-5678", "zhangwei@example.cn"),
        ("张伟明", "139-0000-1111", "zwm@example.cn"),
        ("林晓燕", "137-2222-3333", "lxy@example.cn"),
        ("欧阳晓燕", "136-4444-5555", ""),
        ("北京恒信精密机械有限公司", "010-88889999", "info@hengxin.example.cn"),
        ("Anna Li", "135-6666-7777", "anna.li@example.com"),
    ]:
        made[name] = make_customer(sales_a, name=name, phone=phone, email=email)
    return made


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("张伟", ["张伟", "张伟明"]),  # two characters: below the trigram tokenizer, answered by bigrams
        ("晓燕", ["林晓燕", "欧阳晓燕"]),  # a given name inside longer names
        ("恒信", ["北京恒信精密机械有限公司"]),  # a brand word in the middle of a company name
        ("林晓燕", ["林晓燕"]),  # three characters: trigrams
        ("精密机械", ["北京恒信精密机械有限公司"]),
        ("张", ["张伟", "张伟明"]),  # one character: names starting with it
        ("zhangwei", ["张伟", "张伟明"]),  # full pinyin prefix
        ("zw", ["张伟", "张伟明"]),  # initials prefix
        ("lxy", ["林晓燕"]),
        ("xiaoyan", ["林晓燕", "欧阳晓燕"]),  # pinyin inside the name's pinyin
        ("5678", ["张伟"]),  # phone fragment
        ("88889999", ["北京恒信精密机械有限公司"]),
        ("1234-5678", ["张伟"]),
        ("anna.li@", ["Anna Li"]),  # e-mail prefix
        ("INFO@HENGXIN", ["北京恒信精密机械有限公司"]),
        ("anna", ["Anna Li"]),  # Latin names, any case
        ("na L", ["Anna Li"]),
    ],
)
def test_finds_what_a_user_expects(people, sales_a, q, expected):
    assert sorted(names(sales_a, q)) == sorted(expected)
    assert sorted(listed(sales_a, q)) == sorted(expected)  # the list's search box uses the same indexes


def test_exact_name_ranks_first(make_customer, sales_a):
    for name in ["张伟明", "李张伟", "张伟", "张伟东"]:
        make_customer(sales_a, name=name)
    found = names(sales_a, "张伟")
    assert found[0] == "张伟"
    assert set(found[1:3]) == {"张伟明", "张伟东"}  # then names starting with it
    assert found[3] == "李张伟"  # then names containing it


def test_nothing_for_unknown_or_odd_queries(people, sales_a):
    for q in ("没有这个人", "zzzz", "99999999", "nobody@", "50%", "a_b", '"', "'", "%%", "__"):
        assert names(sales_a, q) == []


def test_service_writes_keep_the_index_in_sync(people, sales_a, admin_user):
    zhang = people["张伟"]
    customer_update(actor=sales_a, customer_id=zhang.pk, data={"name": "王芳", "phone": "186-9999-0000"})
    assert "王芳" in names(sales_a, "王芳") and "王芳" in names(sales_a, "wf")
    assert names(sales_a, "9999-0000") == ["王芳"]
    assert "王芳" not in names(sales_a, "张伟") and names(sales_a, "5678") == []
    in_sync()

    customer_delete(actor=admin_user, customer_id=zhang.pk)
    assert names(sales_a, "王芳") == []  # deleted customers are out of every scope
    customer_restore(actor=admin_user, customer_id=zhang.pk)
    assert names(sales_a, "王芳") == ["王芳"]
    in_sync()


def test_rows_written_outside_the_services_are_indexed_too(sales_a):
    """Bulk loads and queryset updates bypass the services: the database keeps the index."""
    def new(name, phone):
        pinyin, initials = name_keys(name, True)
        return Customer(name=name, owner=sales_a, team_id=sales_a.team_id, phone=phone, name_pinyin=pinyin,
                        name_initials=initials, phone_digits=phone_digits(phone))

    Customer.objects.bulk_create([new("赵敏", "13011112222"), new("周芷若", "13033334444")])
    assert names(sales_a, "赵敏") == ["赵敏"] and names(sales_a, "芷若") == ["周芷若"]
    Customer.objects.filter(name="赵敏").update(name="赵灵儿", phone_digits="13055556666")
    assert names(sales_a, "赵敏") == [] and names(sales_a, "灵儿") == ["赵灵儿"]
    assert names(sales_a, "5555") == ["赵灵儿"] and names(sales_a, "1111") == []
    Customer.objects.filter(name="周芷若").delete()
    assert names(sales_a, "芷若") == []
    in_sync()


def test_deferred_indexing_indexes_bulk_inserts_at_the_end(sales_a):
    from django.db import transaction

    with transaction.atomic(), text_index_deferred(CUSTOMER_TEXT_INDEX) as ranges:
        made = customer_create(actor=sales_a, data={"name": "钱多多", "phone": "150-1234-0000", "kind": "person"})
        ranges.append((made.pk, made.pk))
    assert names(sales_a, "多多") == ["钱多多"] and names(sales_a, "1234-0000") == ["钱多多"]
    in_sync()


@pytest.mark.parametrize(("growth", "rounds"), [(4, 4), (1, 2), (1, 10)])
def test_scope_applies_before_the_candidate_limit(make_customer, sales_a, sales_b, monkeypatch, growth, rounds):
    """Another team's matches never fill the candidates: the scope is part of every index query,
    whether the index is read in one go, chunk by chunk, or handed over to the database's plan."""
    from core import db

    monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", 3)
    monkeypatch.setattr(selectors, "SEARCH_LIST_IDS", 4)
    monkeypatch.setattr(db, "_GROWTH", growth)
    monkeypatch.setattr(db, "_ROUNDS", rounds)
    for i in range(6):
        make_customer(sales_a, name=f"张伟{i}", phone=f"138-0000-{i:04d}", email=f"zw{i}@a.example")
    mine = make_customer(sales_b, name="张伟九", phone="138-0000-9999", email="zw9@b.example")
    for q in ("张伟", "张伟九", "zhangwei", "zw", "138-0000", "zw9@", "张"):
        found = selectors.customer_search(user=sales_b, q=q, limit=10)
        assert [h.customer.pk for h in found] == [mine.pk], q
        assert [r["id"] for r in selectors.customer_list_rows(user=sales_b, filters={"q": q}).items] == [mine.pk], q


def test_team_a_is_invisible_to_sales_b_through_every_kind_of_query(people, sales_b, client_for):
    from django.urls import reverse

    client = client_for(sales_b)
    for q in ("张伟", "晓燕", "林晓燕", "恒信", "张", "zhangwei", "zw", "xiaoyan", "5678", "zhangwei@", "anna"):
        assert names(sales_b, q) == [], q
        assert listed(sales_b, q) == [], q
        html = client.get(reverse("customers:customer_search"), {"q": q}).content.decode()
        cards = [reverse("customers:customer_detail", args=[c.pk]) for c in people.values()]
        assert all(f'href="{card}"' not in html for card in cards), q


def test_a_search_costs_a_fixed_number_of_queries(people, make_customer, sales_a):
    for i in range(30):
        make_customer(sales_a, name=f"张伟{i:02d}")
    # A word of letters also asks the WeChat id prefix index (one range query): up to 9.
    for q in ("张伟", "zhangwei", "xiaoyan", "5678", "zw@", "@example", "+86 138-1234-5678"):
        assert_query_baseline(f"customers.search.{q}",
                              lambda q=q: selectors.customer_search(user=sales_a, q=q, limit=10))


def test_demo_data_is_indexed_and_found(db):
    """The demo loader fills the index per batch instead of per row: every customer is found."""
    call_command("demo", customers=120, seed=5, stdout=StringIO())
    in_sync()
    from accounts.models import User

    admin = User.objects.get(username="admin")
    rows = list(Customer.objects.order_by("id").values_list("id", "name", "name_initials", "phone_digits"))
    for pk, name, initials, digits in random.Random(1).sample(rows, 25):
        assert pk in [h.customer.pk for h in selectors.customer_search(user=admin, q=name, limit=50)], name
        assert pk in [h.customer.pk for h in selectors.customer_search(user=admin, q=digits[-6:], limit=50)], digits
        if len(name) >= 2:
            assert pk in [r["id"] for r in selectors.customer_list_rows(
                user=admin, filters={"q": name[-2:]}, size=200).items]


@pytest.mark.parametrize("ids_up_to", [1000, 2])
def test_list_search_with_few_or_many_matches(make_customer, sales_a, monkeypatch, ids_up_to):
    """The list's search narrows to the matching ids when few match, and lets the sort's index lead
    when many do: the same pages either way, in pinyin order, across cursors."""
    monkeypatch.setattr(selectors, "SEARCH_LIST_IDS", ids_up_to)
    for name in ["王五", "王芳", "王伟", "汪洋", "李王", "赵六", "王小明"]:
        make_customer(sales_a, name=name, phone="138-0000-1111" if name.startswith("王") else "")
    for q, expected in [("王", ["王芳", "王伟", "王五", "王小明"]), ("1111", ["王芳", "王伟", "王五", "王小明"]),
                        ("wang", ["李王", "王芳", "王伟", "王五", "王小明", "汪洋"])]:  # pinyin order
        first = selectors.customer_list_rows(user=sales_a, filters={"q": q}, sort="name", size=2)
        second = selectors.customer_list_rows(user=sales_a, filters={"q": q}, sort="name", size=10,
                                              cursor=first.next_cursor)
        assert [r["name"] for r in first.items + second.items] == expected, q


def test_tag_filter_lists_each_tagged_customer_once(make_customer, sales_a, sales_b):
    from customers.models import Tag
    from customers.services import customers_bulk_add_tag, tag_create

    vip = tag_create(actor=sales_a, name="VIP-test")
    other = Tag.objects.create(name="other")
    mine = [make_customer(sales_a, name=f"客户{i}") for i in range(4)]
    theirs = make_customer(sales_b, name="别人的客户")
    customers_bulk_add_tag(actor=sales_a, customer_ids=[c.pk for c in mine[:3]], tag=vip)
    customers_bulk_add_tag(actor=sales_a, customer_ids=[mine[0].pk], tag=other)
    customers_bulk_add_tag(actor=sales_b, customer_ids=[theirs.pk], tag=vip)
    for sort in ("name", "-created", "-updated", "city"):
        page = selectors.customer_list_rows(user=sales_a, filters={"tag": vip.pk}, sort=sort)
        assert sorted(r["id"] for r in page.items) == sorted(c.pk for c in mine[:3]), sort
