"""The call list's registry of further reasons (customers.call_reasons): sources are asked once per
page with the user and the page's customer ids, their lines merged in registration order."""

from core import registry
from customers import call_reasons


def test_sources_are_merged_and_asked_once(monkeypatch):
    monkeypatch.setattr(registry, "_lists", {})
    asked = []

    def first(user, ids):
        asked.append((user, tuple(ids)))
        return {1: ["a"], 2: ["b"]}

    call_reasons.add_reason_source(first)
    call_reasons.add_reason_source(first)  # once only
    call_reasons.add_reason_source(lambda user, ids: {1: [f"c for {user}"]})
    assert call_reasons.more_reasons("u", [1, 2, 3]) == {1: ["a", "c for u"], 2: ["b"]}
    assert asked == [("u", (1, 2, 3))]
    assert call_reasons.more_reasons("u", []) == {} and len(asked) == 1  # an empty page asks nobody
