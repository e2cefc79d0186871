"""Links to a task's linked record without loading it (core.registry "work_record_urls").

Contract: an app whose records tasks link to registers, in its AppConfig.ready(),
``registry.add("work_record_urls", ("app_label.model", "namespace:url_name"))`` — the URL name of
the record's page, taking the record's id as its one argument. A kind nobody registered is shown
without a link. (The work app may not import the apps above it; this is how it links to them.)
"""

from __future__ import annotations

from django.urls import reverse

from core import registry

REGISTRY = "work_record_urls"


def record_url(app_label: str, model: str, record_id: int) -> str:
    """The page of the record, or "" when its kind registered none."""
    names = dict(registry.get_all(REGISTRY))
    name = names.get(f"{app_label}.{model}")
    return reverse(name, args=[record_id]) if name else ""
