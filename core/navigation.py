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


def menu(flags: dict[str, bool], *, app_name: str = "", url_name: str = "") -> list[MenuEntry]:
    """The entries a user with these flag answers sees on the page `app_name:url_name`, in order."""
    items = sorted(_items.values(), key=lambda item: (item.order, item.key))
    return [MenuEntry(item.label, item.url_name, item.is_current(app_name, url_name))
            for item in items if not item.needs or flags.get(item.needs, False)]


@checks.register()
def check_items_need_registered_flags(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every entry's `needs` names a registered flag (else it would silently never show)."""
    return [
        checks.Error(f"The navigation item {item.key!r} needs the flag {item.needs!r}, which no app registers.",
                     hint="Register it with core.navigation.add_flag() in the app's AppConfig.ready().",
                     id="kehu.E020")
        for item in _items.values() if item.needs and item.needs not in _flags
    ]
