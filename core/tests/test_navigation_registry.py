"""The navigation registry's own rules (core/navigation.py): order, flags, the current entry, and the
system check that catches an entry whose flag no app registers."""

from __future__ import annotations

import pytest

from core import navigation


@pytest.fixture
def empty_registry(monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setattr(navigation, "_flags", {})
    monkeypatch.setattr(navigation, "_items", {})


def test_entries_follow_their_order_and_flags(empty_registry):
    navigation.add_flag("boss", lambda user: user == "boss")
    navigation.add_item(navigation.NavItem("b", "B", "b", order=20, needs="boss"))
    navigation.add_item(navigation.NavItem("a", "A", "a", order=10, current_app="shop",
                                           except_url_names=frozenset({"catalogue"})))
    navigation.add_item(navigation.NavItem("c", "C", "c", order=30, current_url_names=frozenset({"catalogue"})))

    assert navigation.flags_for("boss") == {"boss": True}
    assert [e.url_name for e in navigation.menu(navigation.flags_for("clerk"))] == ["a", "c"]
    entries = navigation.menu(navigation.flags_for("boss"), app_name="shop", url_name="catalogue")
    assert [(e.url_name, e.current) for e in entries] == [("a", False), ("b", False), ("c", True)]
    assert [e.current for e in navigation.menu({}, app_name="shop", url_name="basket")] == [True, False]


def test_registering_again_replaces(empty_registry):
    navigation.add_item(navigation.NavItem("a", "A", "a", order=10))
    navigation.add_item(navigation.NavItem("a", "A2", "a", order=10))
    assert [e.label for e in navigation.menu({})] == ["A2"]


def test_an_entry_needing_an_unregistered_flag_fails_the_system_check(empty_registry):
    navigation.add_item(navigation.NavItem("x", "X", "x", order=1, needs="nobody_registers_this"))
    errors = navigation.check_items_need_registered_flags()
    assert [e.id for e in errors] == ["kehu.E020"]
    navigation.add_flag("nobody_registers_this", lambda user: True)
    assert navigation.check_items_need_registered_flags() == []


def test_the_installed_apps_fill_the_menu_and_every_flag_exists():
    assert navigation.check_items_need_registered_flags() == []
    keys = [e.url_name for e in navigation.menu(dict.fromkeys(navigation._flags, True))]
    assert keys[0] == "home" and len(keys) == 18  # the service desk's and churn's parts are in their own bars


def test_a_section_has_its_own_bar_and_its_entry_stays_current_there():
    """The service desk's requests, agreements and knowledge base live under its entry (`parent`): not
    in the main menu, but in the section's bar on its pages, with the desk's entry current."""
    flags = dict.fromkeys(navigation._flags, True)
    assert "service:request_board" not in [e.url_name for e in navigation.menu(flags)]
    main = navigation.menu(flags, app_name="service", url_name="request_board")
    assert [e.url_name for e in main if e.current] == ["service:desk"]
    bar = navigation.submenu(flags, app_name="service", url_name="request_board")
    assert bar[0].url_name == "service:desk" and not bar[0].current
    assert [e.url_name for e in bar if e.current] == ["service:request_board"]
    assert [e.url_name for e in navigation.submenu(flags, app_name="service", url_name="desk") if e.current] == [
        "service:desk"]
    assert navigation.submenu(flags, app_name="customers", url_name="customer_list") == []
