"""What else users type into the search box and the list's filters (issue 12, item 10).

Phone numbers with the country code (+86 138…, 86138…), e-mail domains (@163), WeChat ids and, for
roles that see them unmasked, ID numbers are found by the header search and the list's search box,
through the indexes (equivalence with a plain Python reference over every customer, on both the
few-ids and the many-matches path); roles that see ID numbers masked cannot find a customer by one.
City filters match by prefix and industry filters by substring, in the list and the API; the list
sorted by city follows pinyin, across keyset pages.
"""

from __future__ import annotations

import random

import pytest
from django.apps import apps as django_apps

from audit.models import AccessAction, AccessLog
from core.db import text_index_problems
from customers import selectors
from customers.idnumbers import id_check_digit
from customers.models import Customer
from customers.search import CUSTOMER_TEXT_INDEX, city_key
from customers.tests import reference

pytestmark = pytest.mark.django_db

ID_ZHANG = "11010519491231002X"
ID_LI = "320102198506150022"


def header(user, q):
    return sorted(h.customer.name for h in selectors.customer_search(user=user, q=q, limit=50))


def listed(user, q, **filters):
    page = reference.customer_list(user=user, filters={"q": q, **filters}, size=200)
    rows = selectors.customer_list_rows(user=user, filters={"q": q, **filters}, size=200)
    names = sorted(c.name for c in page.items)
    assert names == sorted(r["name"] for r in rows.items), q  # the HTML list's rows agree
    return names


@pytest.fixture
def people(make_customer, sales_a):
    rows = [
        ("张伟", "138-1234-5678", "zhangwei@163.com", "wx_zhangwei88", ID_ZHANG),
        ("李娜", "+86 139 0000 1111", "lina@qq.com", "Lina_Li", ID_LI),
        ("王芳", "021-88889999", "wangfang@163.net", "", ""),
        ("Anna Li", "135-6666-7777", "anna@example.com", "annali-2020", ""),
    ]
    return {name: make_customer(sales_a, name=name, phone=phone, email=email, wechat_id=wechat, id_number=idn)
            for name, phone, email, wechat, idn in rows}


@pytest.mark.parametrize(("q", "expected"), [
    ("+86 138 1234 5678", ["张伟"]),  # country code, spaces
    ("+8613812345678", ["张伟"]),
    ("8613812345678", ["张伟"]),  # the issue: "86138…" finds 138… numbers
    ("0086 138-1234", ["张伟"]),
    ("+86 1381234", ["张伟"]),
    ("13900001111", ["李娜"]),  # stored with +86, found without it
    ("+86 139 0000 1111", ["李娜"]),
    ("@163", ["张伟", "王芳"]),  # e-mail domains
    ("@163.com", ["张伟"]),
    ("@QQ.com", ["李娜"]),
    ("wx_zhangwei", ["张伟"]),  # WeChat id prefix, any case
    ("LINA_LI", ["李娜"]),
    ("annali-2020", ["Anna Li"]),
])
def test_finds_phone_forms_email_domains_and_wechat_ids(people, sales_a, q, expected):
    assert header(sales_a, q) == expected
    assert listed(sales_a, q) == expected


def searches_recorded(user):
    return list(AccessLog.objects.filter(user=user, action=AccessAction.SEARCH).values_list("detail", flat=True))


def test_masked_id_numbers_are_found_only_by_the_whole_number(people, admin_user, manager_a, sales_a, service_a,
                                                               analyst):
    for user in (admin_user, manager_a):
        assert header(user, ID_ZHANG) == ["张伟"]
        assert header(user, ID_ZHANG.lower()) == ["张伟"]
        assert header(user, "320102 19850615") == ["李娜"]  # a prefix, as typed with a space
        assert listed(user, ID_ZHANG) == ["张伟"]
        hit = selectors.customer_search(user=user, q=ID_LI, limit=5)[0]
        assert hit.matched == "id_number"
        assert searches_recorded(user) == []  # they see the numbers: nothing to record
    # Masked for these roles: a prefix would be an oracle (one digit more at a time recovers the
    # number), so only the whole number finds the customer, and every such search is recorded.
    for user in (sales_a, service_a, analyst):
        for q in ("320102198506", "320102 19850615", ID_LI[:-1], ID_ZHANG[1:]):
            assert header(user, q) == [], (user.role, q)
            assert listed(user, q) == [], (user.role, q)
        assert header(user, ID_ZHANG) == ["张伟"] and header(user, ID_ZHANG.lower()) == ["张伟"]
        assert listed(user, "320102-19850615-0022") == ["李娜"]
        hit = selectors.customer_search(user=user, q=ID_LI, limit=5)[0]
        assert hit.matched == "id_number" and hit.customer.id_number == "**************0022"
        # Hit or not, each header search and each read of a list page by a whole number (the
        # analyst's digit searches are recorded as whole phone searches as well).
        recorded = [d for d in searches_recorded(user) if "id_number" in d["fields"]]
        assert len(recorded) == 5 and ID_ZHANG in [d["q"] for d in recorded]
    assert len(searches_recorded(sales_a)) == 5  # a shorter run of digits is no whole ID number: not recorded


def test_masked_phones_are_found_only_by_the_whole_number(people, sales_a, analyst):
    # Sales see phones: fragments find them, nothing is recorded.
    assert header(sales_a, "1234") == ["张伟"] and header(sales_a, "5678") == ["张伟"]
    assert searches_recorded(sales_a) == []
    # The analyst sees 138****5678: a fragment finds nothing, so no digit can be guessed one at a time.
    for q in ("1234", "12345", "138123", "1381234567", "3812345678", "0000 111", "+86 139 0000 111"):
        assert header(analyst, q) == [], q
        assert listed(analyst, q) == [], q
    for q, name in (("13812345678", "张伟"), ("138-1234-5678", "张伟"), ("+86 138 1234 5678", "张伟"),
                    ("+86 139 0000 1111", "李娜"), ("13900001111", "李娜"), ("02188889999", "王芳")):
        assert header(analyst, q) == [name], q
        assert listed(analyst, q) == [name], q
    hit = selectors.customer_search(user=analyst, q="13812345678", limit=5)[0]
    assert hit.matched == "phone" and hit.customer.phone == "138****5678"
    assert all({"phone", "phone_alt"} <= set(d["fields"]) for d in searches_recorded(analyst))
    # Names, pinyin and e-mail are not masked: searched as for everyone, not recorded.
    before = len(searches_recorded(analyst))
    assert header(analyst, "zhangwei") == ["张伟"] and header(analyst, "@163") == ["张伟", "王芳"]
    assert len(searches_recorded(analyst)) == before


def test_id_number_search_in_the_pages_and_api(people, client_for, manager_a, sales_a):
    from accounts.services import token_create

    page = client_for(manager_a).get("/customers/", {"q": ID_LI[:12]}).content.decode()
    assert "李娜" in page
    page = client_for(sales_a).get("/customers/", {"q": ID_LI[:12]}).content.decode()
    assert "李娜" not in page
    page = client_for(sales_a).get("/customers/", {"q": ID_LI}).content.decode()
    assert "李娜" in page
    _, secret = token_create(user=sales_a, name="t")
    response = client_for(sales_a).get("/api/v1/customers", {"q": ID_LI[:12]}, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200 and response.json()["items"] == []
    response = client_for(sales_a).get("/api/v1/customers", {"q": ID_LI}, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert [c["id_number"] for c in response.json()["items"]] == ["**************0022"]
    sources = list(AccessLog.objects.filter(user=sales_a, action=AccessAction.SEARCH).values_list("source", flat=True))
    assert sources == ["api", "web"]  # the whole numbers only, newest first


def _reference(customers, q, *, id_mode="free", phone_mode="free"):
    """What the search should find, computed in Python over every customer (the plain reference).
    A mode "whole" (a role that sees the field masked) matches the whole value only."""
    import re

    text = q.strip()
    digits = re.sub(r"\D", "", text)
    low = text.lower()
    out = set()
    for c in customers:
        phones = [re.sub(r"\D", "", p) for p in (c.phone, c.phone_alt) if p]
        national = re.sub(r"\D", "", re.sub(r"^(\+\s*86|0086|86)", "", text)) if re.match(r"^(\+\s*86|0086|86)", text) \
            else None
        compact = re.sub(r"[\s-]", "", text).upper()
        if text.startswith("@"):
            hit = low in c.email.lower()
        elif digits and digits == re.sub(r"[\s+-]", "", text):
            if phone_mode == "free":
                hit = any(digits in p or (national and len(national) >= 3 and national in p) for p in phones)
            else:  # a whole number, stored with or without the country code
                hit = any(len(d) >= 5 and p in (d, f"86{d}", f"0086{d}") for d in (digits, national) if d
                          for p in phones)
        else:
            hit = bool(c.wechat_id) and c.wechat_id.lower().startswith(low)
        if not text.startswith("@") and re.fullmatch(r"\d{6,17}[\dX]?", compact):
            hit = hit or (c.id_number.startswith(compact) if id_mode == "free" else c.id_number == compact)
        if hit:
            out.add(c.pk)
    return out


@pytest.mark.parametrize("ids_up_to", [3000, 3])
def test_new_keys_match_a_plain_reference(make_customer, sales_a, manager_a, analyst, monkeypatch, ids_up_to):
    """Equivalence: the indexed search (few ids, and the many-matches path) finds exactly what a
    scan in Python finds, for phone forms, e-mail domains, WeChat ids and ID numbers, for a role
    that sees everything, one that sees ID numbers masked and one that sees both masked."""
    monkeypatch.setattr(selectors, "SEARCH_LIST_IDS", ids_up_to)
    rng = random.Random(12)
    domains = ["163.com", "qq.com", "126.com", "163.net", "example.cn"]
    made = []
    for i in range(40):
        phone = f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}"
        phone = rng.choice([phone, f"+86 {phone}", f"0086-{phone}", f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"])
        region = rng.choice(["110105", "320102", "440304"])
        body = f"{region}19{rng.randrange(50, 99)}0{rng.randrange(1, 9)}1{rng.randrange(0, 9)}{rng.randrange(100, 999)}"
        made.append(make_customer(
            sales_a, name=f"顾客{i}", phone=phone, email=f"u{i}@{rng.choice(domains)}",
            phone_alt=rng.choice(["", f"0{rng.randrange(10, 99)}-{rng.randrange(10**7, 10**8)}"]),
            wechat_id=rng.choice(["", f"wx{rng.randrange(10, 99)}_{i}", f"Kehu{rng.randrange(10, 99)}"]),
            id_number=rng.choice(["", body + id_check_digit(body)]),  # valid check digits: the model checks them
        ))
    queries = ["@163", "@qq.com", "@163.c", "wx1", "WX5", "kehu2", "+86 138", "86135", "0086 139", "110105",
               "320102195", "4403041970"]
    queries += [c.phone.replace("-", "")[-8:] for c in made[:5]] + [c.id_number[:10] for c in made if c.id_number][:5]
    queries += [c.phone for c in made[5:10]] + [c.phone_alt for c in made if c.phone_alt][:3]
    queries += [c.id_number for c in made if c.id_number][5:10]
    everyone = list(Customer.objects.all())
    for user, modes in ((manager_a, {}), (sales_a, {"id_mode": "whole"}),
                        (analyst, {"id_mode": "whole", "phone_mode": "whole"})):
        for q in queries:
            expected = _reference(everyone, q, **modes)
            found = {r["id"] for r in selectors.customer_list_rows(user=user, filters={"q": q}, size=500).items}
            assert found == expected, (user.role, q)
            hits = {h.customer.pk for h in selectors.customer_search(user=user, q=q, limit=500)}
            assert hits == expected, (user.role, q)


def test_email_index_stays_in_sync(people, sales_a):
    from customers.services import customer_update

    customer_update(actor=sales_a, customer_id=people["王芳"].pk, data={"email": "wf@sina.com"})
    assert header(sales_a, "@sina") == ["王芳"] and header(sales_a, "@163") == ["张伟"]
    Customer.objects.filter(pk=people["张伟"].pk).update(email="zw@126.com")  # outside the services
    assert header(sales_a, "@163") == [] and header(sales_a, "@126") == ["张伟"]
    assert text_index_problems(CUSTOMER_TEXT_INDEX) == []


# --- filters and the city sort ---------------------------------------------------------------------

@pytest.fixture
def places(make_customer, sales_a):
    rows = [("甲", "北京", "电子信息"), ("乙", "北京市", "消费电子"), ("丙", "上海", "金融"),
            ("丁", "广州", "电子信息"), ("戊", "安庆", "教育"), ("己", "重庆", "电子商务"), ("庚", "", "")]
    return {n: make_customer(sales_a, name=n, city=city, industry=industry, kind="organisation")
            for n, city, industry in rows}


def test_city_and_industry_filters_match_as_typed(places, sales_a, client_for):
    def names(**filters):
        return sorted(r["name"] for r in selectors.customer_list_rows(user=sales_a, filters=filters, size=100).items)

    assert names(industry="电子") == sorted(["丁", "己", "乙", "甲"])  # the issue: "电子" found nothing
    assert names(industry="电子信息") == sorted(["丁", "甲"])
    assert names(city="北京") == sorted(["乙", "甲"])  # 北京 and 北京市
    assert names(city="北京市") == ["乙"]
    assert names(city="上") == ["丙"]
    assert names(city="京") == []  # a city by its start, not any character inside it
    assert names(city="北京", industry="电子") == sorted(["乙", "甲"])
    page = client_for(sales_a).get("/customers/", {"industry": "电子", "city": "北京"}).content.decode()
    assert "甲" in page and "乙" in page and "丁" not in page


def test_city_filter_with_many_cities_compares_by_prefix(make_customer, sales_a, monkeypatch):
    monkeypatch.setattr(selectors, "CITY_FILTER_VALUES", 2)
    for i, city in enumerate(["苏州", "苏州市", "苏州工业园区", "宿迁"]):
        make_customer(sales_a, name=f"客户{i}", city=city)
    page = selectors.customer_list_rows(user=sales_a, filters={"city": "苏"}, size=100)
    assert sorted(r["city"] for r in page.items) == ["苏州", "苏州工业园区", "苏州市"]


def test_api_filters_match_as_typed(places, sales_a):
    from django.test import Client

    from accounts.services import token_create

    _, secret = token_create(user=sales_a, name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def names(**params):
        response = client.get("/api/v1/customers", params)
        assert response.status_code == 200, response.content
        return sorted(row["name"] for row in response.json()["items"])

    assert names(industry="电子") == sorted(["丁", "己", "乙", "甲"])
    assert names(city="北京") == sorted(["乙", "甲"])
    assert names(city="北京市") == ["乙"]  # one city: the compiled equality
    assert names(city="北京", sort="city") == sorted(["乙", "甲"])


def test_city_sort_follows_pinyin_across_pages(places, sales_a):
    # "", anqing, beijing, beijingshi, chongqing, guangzhou, shanghai
    expected = ["庚", "戊", "甲", "乙", "己", "丁", "丙"]
    seen, cursor = [], None
    for _ in range(10):
        page = selectors.customer_list_rows(user=sales_a, filters={}, sort="city", cursor=cursor, size=2)
        seen += [row["name"] for row in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == expected
    api = selectors.customer_page_values(user=sales_a, filters={}, fields=("id", "name"), sort="city", size=50)
    assert [row["name"] for row in api.items] == expected


def test_city_key_is_kept_on_every_write(places, sales_a):
    from customers.services import customer_update

    customer_update(actor=sales_a, customer_id=places["丙"].pk, data={"city": "杭州"})
    assert Customer.objects.get(pk=places["丙"].pk).city_pinyin == "hangzhou"
    assert city_key("重庆") == "zhongqing" or city_key("重庆").startswith("chong")


def test_migration_backfills_the_city_key(places):
    import importlib

    migration = importlib.import_module("customers.migrations.0009_customer_search_keys_city_email_wechat_id")
    Customer.objects.update(city_pinyin="")
    migration.backfill_city_pinyin(django_apps, None)
    got = dict(Customer.objects.values_list("city", "city_pinyin"))
    assert got == {"北京": "beijing", "北京市": "beijingshi", "上海": "shanghai", "广州": "guangzhou", "安庆": "anqing",
                   "重庆": city_key("重庆"), "": ""}


def test_migrations_keep_every_search_index():
    """Migration 0006 adds a column without rebuilding the SQLite table: a rebuild would drop the
    indexes migrations 0004 and 0005 made by hand (the searches then scan the table)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'customers_customer'")
        else:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'customers_customer'")
        names = {row[0] for row in cursor.fetchall()}
    expected = {"customer_name_bytes", "customer_initials_bytes", "customer_email_lower", "customer_updated",
                "customer_wechat_lower", "customer_id_number_bytes", "customer_citykey_pinyin", "customer_pinyin"}
    if connection.vendor == "sqlite":
        expected |= {f"customer_search_{c}_fts_{t}" for c in ("name", "name_pinyin", "phone_digits", "email")
                     for t in ("ai", "ad", "au")}
    else:
        expected |= {"customer_pinyin_bytes", "customer_search_email_trgm", "customer_city_bytes"}
    assert expected <= names, sorted(expected - names)
