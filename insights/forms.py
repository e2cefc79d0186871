"""Forms of the insights pages. They validate input only; insights.services does every write."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from insights.models import InsightSettings


class InsightSettingsForm(forms.Form):
    """The scoring settings; the discount rate is entered in percent a month (1 = 1 %)."""

    horizon_months = forms.IntegerField(
        label=_("CLV horizon (months)"), min_value=1, max_value=120,
        help_text=_("Lifetime value counts the margin expected over this many months."),
    )
    discount_percent = forms.DecimalField(
        label=_("Monthly discount rate (%)"), min_value=Decimal("0"), max_value=Decimal("20"), max_digits=6,
        decimal_places=2, help_text=_("Future margin is discounted by this rate a month (1 = 1 %)."),
    )
    period_days = forms.IntegerField(
        label=_("Purchase likelihood period (days)"), min_value=7, max_value=365,
        help_text=_("Purchase likelihood is the probability of at least one purchase within this many days."),
    )

    @classmethod
    def for_settings(cls, current: InsightSettings, data: Any = None) -> InsightSettingsForm:
        return cls(data, initial={
            "horizon_months": current.horizon_months,
            "discount_percent": (Decimal(current.monthly_discount_rate) * 100).normalize(),
            "period_days": current.period_days,
        })

    def service_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {"horizon_months": d["horizon_months"], "monthly_discount_rate": d["discount_percent"] / 100,
                "period_days": d["period_days"]}
