"""The customer-badge and home-panel registries: contributors merged, nothing asked for no rows."""

from core import registry
from core.badges import REGISTRY_NAME as BADGES
from core.badges import Badge, attach_badges, customer_badges
from core.home import REGISTRY_NAME as HOME
from core.home import home_panels
from core.timeline import CardPanel


class _Row:
    def __init__(self, pk):
        self.pk = pk


def test_badges_merged_per_customer_and_skipped_without_rows(monkeypatch):
    calls = []

    def vip(user, ids):
        calls.append(ids)
        return {ids[0]: [Badge(text="VIP")]}

    def late(user, ids):
        return {i: [Badge(text="late", css="bad")] for i in ids}

    monkeypatch.setitem(registry._lists, BADGES, [vip, late])
    assert customer_badges(None, []) == {}
    assert calls == []
    found = customer_badges(None, [3, 4])
    assert [b.text for b in found[3]] == ["VIP", "late"] and [b.text for b in found[4]] == ["late"]
    rows = attach_badges(None, [_Row(3), _Row(5)])
    assert [b.text for b in rows[0].badges] == ["VIP", "late"] and [b.text for b in rows[1].badges] == ["late"]


def test_home_panels_collected_in_order(monkeypatch):
    def one(user):
        return [CardPanel(key="one", title="One", template="x.html")]

    def none(user):
        return []

    monkeypatch.setitem(registry._lists, HOME, [none, one, one])
    assert [p.key for p in home_panels(None)] == ["one", "one"]
