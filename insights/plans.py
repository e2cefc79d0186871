"""What insights contributes to the salesperson's plan (work/plan_registry.py's contract "plan
suggestions"): the best calls of the call list among the owner's customers, with the call list's reason."""

from __future__ import annotations

from accounts.models import User
from insights import selectors
from insights.reasons import reason_text
from work import plan_registry as reg


def call_list_suggestions(*, user: User, owner_id: int, limit: int) -> list[reg.Suggestion]:
    scores = (selectors.scores_visible(user).filter(customer__owner_id=owner_id)
              .select_related("customer").only("customer__name", "reason_key", "reason_params", "call_score")
              .order_by(*selectors.CALL_LIST_ORDERING)[:limit])
    return [reg.Suggestion(customer_id=s.customer_id, customer_name=s.customer.name,
                           reason=str(reason_text(s.reason_key, s.reason_params))) for s in scores]


def register() -> None:
    reg.add_suggestions("call_list", call_list_suggestions)
