"""Asset reviews on the customer timeline (core.registry "timeline_providers")."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.timeline import (
    TimelineCursor,
    TimelineEntry,
    as_moment,
    before_q,
    person_fields,
    timeline_provider,
    url_of,
    wants,
)
from wealth.models import AssetReview
from wealth.selectors_reviews import amounts_masked


@timeline_provider(kinds={"asset_review": gettext_lazy("Asset reviews")})
def review_timeline(user: Any, customer_id: int, kinds: Collection[str] | None, before: TimelineCursor | None,
                    limit: int) -> list[TimelineEntry]:
    """The customer's reviews, newest first (one query on the (customer, reviewed_on) index); the
    total assets are left out for roles that see assets masked."""
    if not wants(["asset_review"], kinds):
        return []
    rows = (
        AssetReview.objects.restrict(user, "view").filter(customer_id=customer_id)
        .filter(before_q(field_name="reviewed_on", kind="asset_review", before=before, is_date=True))
        .select_related("created_by").order_by("-reviewed_on", "-id")
        .only("id", "reviewed_on", "assets", "currency", "next_steps", *person_fields("created_by"))[:limit]
    )
    masked = amounts_masked(user)
    url = url_of("wealth:review_detail")
    label = _("Asset review")
    return [
        TimelineEntry(
            kind="asset_review", kind_label=label, at=as_moment(r.reviewed_on), pk=r.pk,
            title=_("Asset review"), detail=r.next_steps[:200], url=url(r.pk), actor=str(r.created_by or ""),
            amount=None if masked else r.assets, currency="" if masked else r.currency,
            extra={"date_only": True},
        )
        for r in rows
    ]
