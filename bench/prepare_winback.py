"""The win-back part's bench fixture: one campaign (the customers lost in the last 30 days, so it
stays small at a million customers) run once, and the reason-unknown queue's owners to ask as.
The operations (bench/run.py) read the win-back page (rates over 12 months, campaigns), a campaign
page, the queue page and the rates API."""

from __future__ import annotations

from typing import Any


def fixture(user: Any) -> dict[str, Any]:
    from retention.models import WinbackCampaign
    from retention.services_winback import campaign_create, campaign_execute

    campaign = WinbackCampaign.objects.filter(name="bench win-back").order_by("-id").first()
    if campaign is None:
        campaign = campaign_create(actor=user, data={"name": "bench win-back", "by_task": True, "lost_max_days": 30})
        campaign = campaign_execute(campaign_id=campaign.pk)
    return {"campaign": campaign.pk}
