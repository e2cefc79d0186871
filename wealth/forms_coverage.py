"""Forms of insurance coverage: a policy (records layer pages) and a household member's income."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core import masking
from customers.models import FamilyMember
from wealth.choices import CURRENCIES
from wealth.models.coverage import InsurancePolicy
from wealth.services_coverage import POLICY_FIELDS

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_AMOUNT = forms.NumberInput(attrs={"step": "0.01", "min": "0"})


class PolicyForm(forms.ModelForm):
    class Meta:
        model = InsurancePolicy
        fields = POLICY_FIELDS
        widgets = {"starts_on": _DATE, "ends_on": _DATE, "sum_insured": _AMOUNT, "premium": _AMOUNT}

    def __init__(self, *args: Any, user: User, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        insured = self.fields["insured_member"]
        insured.queryset = members  # type: ignore[attr-defined]
        insured.empty_label = _("The customer themself")  # type: ignore[attr-defined]
        insured.label = _("insured person")
        # A role that sees assets masked neither reads nor writes the amounts (core.masking).
        for name in masking.unwritable_fields(user, InsurancePolicy):
            self.fields.pop(name, None)

    def clean_external_id(self) -> str | None:
        return (self.cleaned_data.get("external_id") or "").strip() or None

    def service_data(self) -> dict[str, Any]:
        """The fields this form shows (the amounts are left out for a role that sees them masked)."""
        return {name: self.cleaned_data[name] for name in POLICY_FIELDS if name in self.fields}


class IncomeForm(forms.Form):
    member = forms.ModelChoiceField(label=_("person"), queryset=FamilyMember.objects.none(), required=False,
                                    empty_label=_("The customer themself"))
    annual_income = forms.DecimalField(label=_("annual income"), max_digits=18, decimal_places=2, min_value=0,
                                       required=False, help_text=_("Empty: not known (forgets the figure)."))
    currency = forms.ChoiceField(label=_("currency"), choices=CURRENCIES, initial="CNY")

    def __init__(self, *args: Any, members: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members  # type: ignore[attr-defined]
