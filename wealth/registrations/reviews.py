"""The reviews part's registrations: masking of the review amounts, the card panel, the home panel,
the timeline, the reminder event, the nightly job, the weekly plan's suggestions, the demo."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

_EVENTS = "wealth/notifications/"


def register() -> None:
    from accounts.roles import Sensitive
    from core import registry
    from core.masking import SEARCH_NEVER, mask_amount
    from core.masking import register as register_sensitive
    from core.periodic import PeriodicJob
    from wealth import demo_reviews, selectors_reviews, timeline_reviews
    from wealth.models import AssetReview, AssetReviewLine
    from work import plan_registry
    from work.events import EMAIL, INAPP, register_event

    # Review amounts are assets (D12): masked for the roles that see the customer's assets masked.
    for model, fields in ((AssetReview, ("assets", "liabilities", "net_worth")),
                          (AssetReviewLine, ("amount", "converted_amount"))):
        for name in fields:
            register_sensitive(model, name, group=Sensitive.ASSETS, mask=mask_amount, search=SEARCH_NEVER)

    registry.add("card_panels", selectors_reviews.card_panels)
    registry.add("home_panels", selectors_reviews.home_panels)
    registry.add("timeline_providers", timeline_reviews.review_timeline)
    # Context: {"due": ISO date, "overdue": bool} plus the customer (docs/wealth.md "Review cadence").
    register_event("wealth.review_due", _("Asset reviews due"), default_channels=(INAPP, EMAIL),
                   subject_template=f"{_EVENTS}review_due_subject.txt", text_template=f"{_EVENTS}review_due.txt",
                   html_template=f"{_EVENTS}review_due.html", summary_template=f"{_EVENTS}review_due_summary.txt")
    registry.add("periodic_jobs", PeriodicJob(name="asset_reviews_due", hour=4, minute=10,
                                              task="wealth.tasks_reviews.reviews_nightly_task"))
    plan_registry.add_suggestions("asset_reviews_due", selectors_reviews.due_review_suggestions)
    registry.add("demo_generators", demo_reviews.generate)
