"""{% timeline_entries %} gives the markup the card's template loop over timeline entries gave."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.template import engines
from django.utils import translation

from core.templatetags.timeline import timeline_entries
from core.timeline import TimelineEntry, as_moment

# The loop the card rendered per entry before the tag (customers/customer_detail.html).
REFERENCE = """{% load money %}{% for entry in entries %}
    <li class="tl-entry tl-{{ entry.kind }}">
      <time datetime="{{ entry.at|date:'c' }}">{% if entry.extra.date_only %}{{ entry.at|date:"SHORT_DATE_FORMAT" }}{% else %}{{ entry.at|date:"SHORT_DATETIME_FORMAT" }}{% endif %}</time>
      <span class="tl-kind">{{ entry.kind_label }}{% if entry.extra.direction %} <span class="muted small">{{ entry.extra.direction }}</span>{% endif %}</span>
      <div class="tl-body">
        <div class="tl-title">{% if entry.url %}<a href="{{ entry.url }}">{{ entry.title }}</a>{% else %}{{ entry.title }}{% endif %}
          {% if entry.badge %}<span class="badge {{ entry.badge_class }}">{{ entry.badge }}</span>{% endif %}
          {% if entry.amount is not None %}<span class="tl-amount">{{ entry.amount|money }} <span class="muted small">{{ entry.currency }}</span></span>{% endif %}</div>
        {% if entry.detail %}<div class="tl-detail small">{{ entry.detail }}</div>{% endif %}
        {% if entry.actor %}<div class="muted small">{{ entry.actor }}</div>{% endif %}
      </div>
    </li>
    {% endfor %}"""  # noqa: E501

ENTRIES = [
    TimelineEntry(kind="order", kind_label="订单", at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC), pk=1,
                  title="Order <#1>", detail="margin 1.00 CNY · A&B", url="/orders/1/?a=1&b=2", actor="张敏",
                  amount=Decimal("1234567.5"), currency="CNY", badge="paid", badge_class="ok"),
    TimelineEntry(kind="interaction", kind_label="Phone", at=datetime(2025, 12, 31, 8, 5, tzinfo=UTC),
                  pk=2, title="<script>x</script>", detail="", url="", actor="",
                  badge="follow-up open", badge_class="warn", extra={"direction": "in <bound>"}),
    TimelineEntry(kind="cost", kind_label="Cost", at=as_moment(date(2026, 1, 2)), pk=3, title="Gift",
                  detail="'quoted' \"double\"", amount=Decimal("0"), currency="USD", extra={"date_only": True}),
    TimelineEntry(kind="transfer", kind_label="Owner change", at=datetime(2024, 5, 6, 7, 8, tzinfo=UTC),
                  pk=4, title="a → b", detail="reason", actor="admin"),
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_tag_renders_what_the_template_loop_rendered(language):
    with translation.override(language):
        expected = engines["django"].from_string(REFERENCE).render({"entries": ENTRIES})
        assert timeline_entries(ENTRIES) == expected
    assert "&lt;script&gt;" in expected and "<script>" not in expected  # the reference escapes: so does the tag


def test_no_entries_no_markup():
    assert timeline_entries([]) == ""


def test_url_of_is_reverse_per_id():
    from django.urls import reverse

    from core.timeline import url_of

    for name in ("customers:customer_detail", "commerce:order_detail", "customers:contact_add"):
        assert [url_of(name)(pk) for pk in (1, 7, 123456)] == [reverse(name, args=[pk]) for pk in (1, 7, 123456)]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_choice_labels_are_get_display(language):
    from commerce.models import CustomerCost, Order
    from core.timeline import choice_labels
    from interactions.models import Interaction

    with translation.override(language):
        for model, name in ((Order, "status"), (Order, "channel"), (CustomerCost, "kind"), (Interaction, "direction")):
            label = choice_labels(model, name)
            for value in [v for v, _label in model._meta.get_field(name).flatchoices] + ["unknown", ""]:
                assert label(value) == getattr(model(**{name: value}), f"get_{name}_display")(), (name, value)
