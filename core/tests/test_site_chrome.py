"""What every page carries: the site icon and breadcrumbs that end in a link, not a separator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

BREADCRUMB = re.compile(r'<(p|nav) class="breadcrumb[^"]*">(.*?)</\1>', re.S)


@pytest.mark.django_db
def test_pages_link_the_vendored_icon_and_favicon_ico_answers(client):
    html = client.get(reverse("accounts:login")).content.decode()
    icon = static("kehu/favicon.svg")
    assert f'<link rel="icon" href="{icon}" type="image/svg+xml">' in html
    assert finders.find("kehu/favicon.svg"), "the icon is vendored in static/"
    response = client.get("/favicon.ico")  # asked for by browsers and tools whatever the page links
    assert response.status_code == 301 and response["Location"] == icon


def _breadcrumb_sources() -> list[tuple[Path, str]]:
    roots = [Path(settings.BASE_DIR)]
    found = []
    for path in sorted(roots[0].glob("**/templates/**/*.html")):
        if ".venv" in path.parts:
            continue
        found += [(path, m.group(2)) for m in BREADCRUMB.finditer(path.read_text())]
    return found


def test_no_breadcrumb_ends_in_a_separator():
    sources = _breadcrumb_sources()
    assert len(sources) >= 20
    dangling = [str(p) for p, inner in sources
                if re.search(r"[/›]\s*(\{%\s*endif\s*%\}\s*)?$", inner.strip())]
    assert dangling == []


@pytest.mark.django_db
def test_card_and_edit_breadcrumbs_end_in_a_link(client_for, sales_a, customer_a):
    client = client_for(sales_a)
    for url in (reverse("customers:customer_detail", args=[customer_a.pk]),
                reverse("customers:customer_edit", args=[customer_a.pk]),
                reverse("customers:customer_add")):
        inner = BREADCRUMB.search(client.get(url).content.decode()).group(2).strip()
        assert inner.endswith("</a>"), (url, inner)
