"""The predicted-value panel on the customer card's profile tab (core.registry "card_panels"):
CLV, P(alive), purchase likelihood, expected purchases, churn risk with its factors and the next
best products, each with a one-line explanation and the date of the run. Two queries at most."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from core.timeline import CardPanel
from insights.display import factors_display, products_display
from insights.reasons import reason_text
from insights.selectors import customer_score_get, score_run_latest


def score_card_panels(user: Any, customer_id: int) -> list[CardPanel]:
    """One panel: the customer's scores, "not scored" with the reason when there are none."""
    score = customer_score_get(user=user, customer_id=customer_id)
    context: dict[str, Any] = {"score": score, "currency": settings.KEHU_DEFAULT_CURRENCY}
    if score is None:
        context["run"] = score_run_latest()
    else:
        context["run"] = score.run
        context["reason"] = reason_text(score.reason_key, score.reason_params)
        context["likelihood_percent"] = round(score.purchase_likelihood * 100)
        context["p_alive_percent"] = round(score.p_alive * 100)
        context["churn_percent"] = round(score.churn_risk * 100) if score.churn_risk is not None else None
        context["discount_percent"] = round(score.run.monthly_discount_rate * 100, 2)
        churn = score.run.churn or {}
        context["churn_status"] = churn.get("status", "")
        context["churn_window_days"] = churn.get("window_days")
        context["churn_fallback"] = _fallback(churn)
        context["factors"] = factors_display(score.churn_factors)
        context["products"] = products_display(score.next_products)
    return [CardPanel(key="insights", title=_("Predicted value"), template="insights/card_panel.html",
                      context=context)]


def _fallback(churn: dict[str, Any]) -> str:
    """Why the churn risk is a baseline ranking, not a model's probability ('' when it is a model's)."""
    if not churn.get("fallback"):
        return ""
    from insights.churn import fallback_message

    return fallback_message(churn)
