"""The header search: name, pinyin, initials, phone fragment, email — scoped, masked, linking to the card."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

SEARCH = reverse("customers:customer_search")


def _dropdown(client, q):
    return client.get(SEARCH, {"q": q}, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.parametrize(
    ("q", "matched"),
    [("张伟", {"name"}), ("张", {"name"}), ("zhangwei", {"pinyin", "email"}), ("zw", {"pinyin initials"}),
     ("5678", {"phone"}), ("1234-56", {"phone"}), ("zhangwei@", {"email"}), ("ZhangWei@Example", {"email"})],
)
def test_dropdown_finds_zhang_wei(client_for, customer_a, sales_a, q, matched):
    response = _dropdown(client_for(sales_a), q)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # a fragment for the header, not a page
    card = reverse("customers:customer_detail", args=[customer_a.pk])
    assert f'href="{card}"' in html
    assert "张伟" in html and "北京" in html
    assert "138****5678" in html and "138-1234-5678" not in html  # always masked in the dropdown
    assert any(f"matched {m}<" in html for m in matched)


def test_dropdown_is_scoped(client_for, customer_a, customer_b, sales_b):
    client = client_for(sales_b)
    for q in ("张伟", "zhangwei", "zw", "5678", "zhangwei@"):
        html = _dropdown(client, q).content.decode()
        assert "<strong>张伟</strong>" not in html
        assert "No customer matches" in html
        assert reverse("customers:customer_detail", args=[customer_a.pk]) not in html
    assert "李娜" in _dropdown(client, "ln").content.decode()


def test_dropdown_says_when_nothing_matches(client_for, customer_a, sales_a):
    html = _dropdown(client_for(sales_a), "没有这个人").content.decode()
    assert "No customer matches" in html


def test_dropdown_limits_to_ten(client_for, make_customer, sales_a):
    for i in range(15):
        make_customer(sales_a, name=f"王{i:02d}")
    html = _dropdown(client_for(sales_a), "王").content.decode()
    assert html.count('class="hit"') == 10
    assert "All results" in html


def test_empty_query_gives_empty_fragment(client_for, customer_a, sales_a):
    html = _dropdown(client_for(sales_a), "  ").content.decode()
    assert "张伟" not in html and "No customer" not in html


def test_results_page(client_for, customer_a, customer_b, sales_a, analyst):
    response = client_for(sales_a).get(SEARCH, {"q": "zw"}, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "<html" in html
    assert "张伟" in html and "李娜" not in html
    assert "138-1234-5678" in html  # sales may see the phone on the full page
    html = client_for(analyst).get(SEARCH, {"q": "zw"}).content.decode()
    assert "138****5678" in html and "138-1234-5678" not in html


def test_results_page_is_scoped(client_for, customer_a, sales_b):
    html = client_for(sales_b).get(SEARCH, {"q": "张伟"}).content.decode()
    assert reverse("customers:customer_detail", args=[customer_a.pk]) not in html


def test_search_requires_login(client, customer_a):
    response = client.get(SEARCH, {"q": "张伟"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 302
    assert "张伟" not in response.content.decode()


@pytest.mark.parametrize(
    ("name", "person", "keys"),
    [
        ("张伟", True, ("zhangwei", "zw")),
        ("于思", True, ("yusi", "ys")),  # surname read alone, not as the phrase 于思 (yu sai)
        ("曾小贤", True, ("zengxiaoxian", "zxx")),  # 曾 as a surname is zeng
        ("欧阳雨桐", True, ("ouyangyutong", "oyyt")),
        ("Anna Li", True, ("annali", "al")),
        ("北京华为科技有限公司", False, ("beijinghuaweikejiyouxiangongsi", "bjhwkjyxgs")),
    ],
)
def test_name_keys(name, person, keys):
    from customers.search import name_keys

    assert name_keys(name, person) == keys
