"""Numbers look the same on zh-hans and English pages, and in the charts (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.utils import translation

TEMPLATE = "{% load humanize money %}{{ n }} {{ n|intcomma }} {{ amount|money:0 }} {{ x }}"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_thousands_are_grouped_with_commas_in_both_languages(language):
    with translation.override(language):
        text = engines["django"].from_string(TEMPLATE).render({"n": 1234567, "amount": 73317.4, "x": 12345.5})
    assert text == "1,234,567 1,234,567 73,317 12,345.5"


def test_charts_format_their_axes_and_labels_like_the_pages():
    # ECharts writes 12,345 on a value axis but 12345 in labels and tooltips unless told otherwise:
    # every chart script formats its numbers with kehu.js's kehuNumber (Intl, the page's language).
    static = Path(settings.BASE_DIR)
    base = (static / "static/kehu/kehu.js").read_text()
    assert "window.kehuNumber" in base and "Intl.NumberFormat" in base
    for script in ("static/kehu/home.js", "static/kehu/segmentation.js", "insights/static/insights/insights.js"):
        text = (static / script).read_text()
        assert "kehuNumber" in text, script
        assert "yAxis: { type: \"value\", minInterval: 1 }" not in text, script


def test_no_template_prints_an_id_with_thousands_separators():
    """An id printed as `{{ x.pk }}` reads "1,330" (docs/decisions/0005-number-format.md): in a form's
    value or a URL it breaks the page once there are a thousand customers. Ids in templates go through
    `{% url %}` or `|unlocalize`."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    bare = re.compile(r"\{\{ ?[a-zA-Z_][a-zA-Z0-9_.]*(\.pk|\.id|_id) ?\}\}")
    found = [f"{path.relative_to(root)}: {m.group(0)}" for path in root.rglob("*.html")
             if ".venv" not in path.parts and "node_modules" not in path.parts
             for m in bare.finditer(path.read_text(encoding="utf-8"))]
    assert found == []
