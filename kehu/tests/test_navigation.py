"""The main navigation and the capability flags pages ask about (`nav_can`) come from the registry
the apps fill (core/navigation.py). What each role sees is spelled out here, as it was when the menu
was written out in templates/base.html: moving it into a registry changed nothing a user sees."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

NAV = re.compile(r'<nav class="mainnav"[^>]*>(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="([^"]+)"\s*(aria-current="page")?\s*>([^<]+)</a>')

EVERYONE = [
    ("Home", "home"), ("Customers", "customers:customer_list"), ("Orders", "commerce:order_list"),
    ("Interactions", "interactions:interaction_list"), ("Tasks", "work:task_list"), ("Calendar", "work:calendar_week"),
    ("Segments", "segmentation:overview"), ("Service desk", "service:desk"), ("Products", "commerce:product_list"),
    ("Call list", "insights:call_list"), ("Churn", "retention:churn"), ("Plan", "work:plan_month"),
]
IMPORT = [("Import", "dataio:job_list")]
DUPLICATES = [("Duplicates", "governance:duplicate_list")]
AUDIT = [("Audit trail", "audit:change_list")]
TRASH = [("Deleted customers", "customers:customer_trash")]
USERS = [("Users", "accounts:user_list")]

MENU_OF_ROLE = {
    "admin": EVERYONE + IMPORT + DUPLICATES + AUDIT + [("FX rates", "wealth:fx_rate_list")] + TRASH + USERS,
    "manager": EVERYONE + IMPORT + DUPLICATES + AUDIT,
    "sales": EVERYONE + IMPORT,
    "service": EVERYONE + IMPORT,
    "analyst": EVERYONE,
}
# Buttons on pages that ask nav_can: "New customer" on the home page, "Export CSV" on the order list.
NEW_CUSTOMER = {"admin": True, "manager": True, "sales": True, "service": True, "analyst": False}
EXPORT = {"admin": True, "manager": True, "sales": True, "service": False, "analyst": True}


def _menu(html: str) -> list[tuple[str, str, bool]]:
    nav = NAV.search(html)
    assert nav, "the page has the main navigation"
    return [(text.strip(), href, bool(current)) for href, current, text in LINK.findall(nav.group(1))]


@pytest.fixture
def user_of(make_user, team_a):  # noqa: ANN001
    def make(role: str):  # noqa: ANN202
        return make_user(role, None if role in ("admin", "analyst") else team_a)

    return make


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(MENU_OF_ROLE))
def test_each_role_sees_the_same_menu_and_buttons_as_before(client, user_of, role):
    client.force_login(user_of(role))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    home = client.get(reverse("home")).content.decode()
    expected = [(label, reverse(name), name == "home") for label, name in MENU_OF_ROLE[role]]
    assert _menu(home) == expected
    assert ("New customer" in home) is NEW_CUSTOMER[role]
    orders = client.get(reverse("commerce:order_list")).content.decode()
    assert ("Export CSV" in orders) is EXPORT[role]


@pytest.mark.django_db
@pytest.mark.parametrize(("url_name", "current"), [
    ("home", "Home"),
    ("customers:customer_list", "Customers"),
    ("customers:customer_trash", "Customers"),  # the trash is part of the customers section
    ("commerce:order_list", "Orders"),
    ("commerce:product_list", "Products"),  # commerce, but its own entry: Orders is not marked
    ("interactions:interaction_list", "Interactions"),
    ("work:task_list", "Tasks"),
    ("segmentation:overview", "Segments"),
    ("insights:call_list", "Call list"),
    ("retention:winback", "Churn"),  # win-back is in churn's own bar
    ("service:request_board", "Service desk"),  # so are the desk's requests, agreements, knowledge base
    ("work:calendar_week", "Calendar"),
    ("dataio:job_list", "Import"),
    ("governance:duplicate_list", "Duplicates"),
    ("audit:change_list", "Audit trail"),
    ("accounts:user_list", "Users"),
    ("accounts:profile", None),  # the own profile is under the user name, not under Users
])
def test_the_entry_of_the_current_section_is_marked(client, user_of, url_name, current):
    client.force_login(user_of("admin"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    marked = [label for label, _href, is_current in _menu(response.content.decode()) if is_current]
    assert marked == ([current] if current else [])


@pytest.mark.django_db
def test_the_menu_speaks_the_users_language(client, user_of):
    client.force_login(user_of("admin"))
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    labels = [label for label, _href, _current in _menu(html)]
    assert labels[:3] == ["首页", "客户", "订单"]
