"""The main navigation and the capability flags pages ask about, contributed by the apps.

core draws the menu (templates/base.html) but knows no app: each app registers its entries and its
flags from its AppConfig.ready(), so an app that is not installed leaves no dead link behind.

Contract for contributors:

- `add_flag(name, test)`: `test(user)` answers for a signed-in user whether they may use something
  (`user.can(...)` on their role). It runs on every page, so it must not query the database. Pages
  read the answers as `nav_can.<name>` (e.g. `{% if nav_can.export %}`); a flag no app registered
  reads as false there.
- `add_item(NavItem(...))`: one entry of the main menu. `url_name` is reversed without arguments;
  `order` places it (ascending; the gaps leave room for new domains); `needs` names a flag (the
  entry is shown to users for whom that flag is true; empty: to every signed-in user). The entry
  is marked as the current page (`aria-current`) on pages whose URL name is in `current_url_names`,
  or whose URL namespace is `current_app` and whose URL name is not in `except_url_names`.
- `parent`: the key of another entry this one belongs under. It is not in the main menu but in the
  section's own bar (`submenu`), shown on the pages of that section — the parent entry first, then
  its children by order; the parent is the main menu's current entry on any page of its children.
  (The service desk's requests, agreements and knowledge base; churn's win-back.)
- Registering a name or key again replaces the earlier registration (AppConfig.ready() may run more
  than once in tests). An entry that needs a flag nobody registered fails the system check
  `kehu.E020` at start-up.

The menu is the same for every user of a language, a set of flag answers and a page, which is what
base.html caches it by (docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core import checks

# name → test(user) -> bool, in registration order (app order).
_flags: dict[str, Callable[[Any], bool]] = {}
# key → item
_items: dict[str, NavItem] = {}


@dataclass(frozen=True)
class NavItem:
    """One entry of the main menu (see the module docstring for the contract)."""

    key: str
    label: Any  # a lazy translation (gettext_lazy): the menu is drawn in each user's language
    url_name: str
    order: int
    needs: str = ""
    current_app: str = ""
    current_url_names: frozenset[str] = frozenset()
    except_url_names: frozenset[str] = frozenset()
    parent: str = ""

    def is_current(self, app_name: str, url_name: str) -> bool:
        if url_name in self.current_url_names:
            return True
        return bool(self.current_app) and app_name == self.current_app and url_name not in self.except_url_names


@dataclass(frozen=True)
class MenuEntry:
    """An entry as one page draws it: the item, and whether it is the page's section."""

    label: Any
    url_name: str
    current: bool


def add_flag(name: str, test: Callable[[Any], bool]) -> None:
    """Register the flag `nav_can.<name>`: `test(user)` for a signed-in user, without queries."""
    _flags[name] = test


def add_item(item: NavItem) -> None:
    """Register an entry of the main menu (replacing an earlier one with the same key)."""
    _items[item.key] = item


def flags_for(user: Any) -> dict[str, bool]:
    """Every registered flag answered for `user` (a signed-in user)."""
    return {name: bool(test(user)) for name, test in _flags.items()}


def _visible(flags: dict[str, bool]) -> list[NavItem]:
    items = sorted(_items.values(), key=lambda item: (item.order, item.key))
    return [item for item in items if not item.needs or flags.get(item.needs, False)]


def menu(flags: dict[str, bool], *, app_name: str = "", url_name: str = "") -> list[MenuEntry]:
    """The main menu's entries (those without a parent) a user with these flag answers sees on the
    page `app_name:url_name`, in order; an entry is current on its own pages and its children's."""
    items = _visible(flags)
    current_children = {item.parent for item in items if item.parent and item.is_current(app_name, url_name)}
    return [MenuEntry(item.label, item.url_name, item.is_current(app_name, url_name) or item.key in current_children)
            for item in items if not item.parent]


def submenu(flags: dict[str, bool], *, app_name: str = "", url_name: str = "") -> list[MenuEntry]:
    """The bar of the section the page `app_name:url_name` belongs to: its main entry, then the entries
    registered under it (`parent`) — empty on pages of a section without children."""
    items = _visible(flags)
    children = [item for item in items if item.parent]
    section = next((item.parent for item in children if item.is_current(app_name, url_name)), "")
    if not section:
        section = next((item.key for item in items if not item.parent and item.is_current(app_name, url_name)
                        and any(child.parent == item.key for child in children)), "")
    if not section or section not in _items:
        return []
    head = _items[section]
    own = [child for child in children if child.parent == section]
    child_current = any(child.is_current(app_name, url_name) for child in own)
    return ([MenuEntry(head.label, head.url_name, head.is_current(app_name, url_name) and not child_current)]
            + [MenuEntry(child.label, child.url_name, child.is_current(app_name, url_name)) for child in own])


@checks.register()
def check_items_need_registered_flags(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every entry's `needs` names a registered flag (else it would silently never show)."""
    return [
        checks.Error(f"The navigation item {item.key!r} needs the flag {item.needs!r}, which no app registers.",
                     hint="Register it with core.navigation.add_flag() in the app's AppConfig.ready().",
                     id="kehu.E020")
        for item in _items.values() if item.needs and item.needs not in _flags
    ]
