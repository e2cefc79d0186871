"""Stored model outputs as the lines people read, in the reader's language (no queries): the churn
factors and the next best products with their reasons."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def _number(value: Any) -> str:
    if value is None:
        return "—"
    number = float(value)
    return f"{number:,.0f}" if abs(number) >= 100 or number == int(number) else f"{number:,.2f}"


def factors_display(factors: list[dict[str, Any]]) -> list[str]:
    """The churn factors: the feature, the customer's value, the typical value and which way it
    pushes the risk."""
    from insights.features import FEATURES

    labels = {f.key: f.label for f in FEATURES}
    out = []
    for f in factors or []:
        p = {"feature": labels.get(f.get("feature", ""), f.get("feature", "")), "value": _number(f.get("value")),
             "typical": _number(f.get("typical"))}
        if f.get("typical") is None:
            out.append(_("%(feature)s: %(value)s") % p)
        elif f.get("direction") == "up":
            out.append(_("%(feature)s: %(value)s (typical %(typical)s), raises the risk") % p)
        else:
            out.append(_("%(feature)s: %(value)s (typical %(typical)s), lowers the risk") % p)
    return out


def products_display(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The next best products: name and why."""
    from insights.recommend import reason_text

    out = []
    for item in items or []:
        reason = ""
        if item.get("basis"):
            because_of = item.get("because_of")
            reason = reason_text(item, {} if because_of is None else {because_of: item.get("because_of_name", "")})
        out.append({"name": item.get("name", ""), "reason": reason})
    return out
