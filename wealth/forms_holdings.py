"""Forms of holdings and FX rates. A role that sees assets masked never gets the amount as a field
(core.masking.unwritable_fields): the stored value is neither shown nor overwritten by a mask."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core import masking
from wealth.choices import CURRENCIES
from wealth.models import FxRate, Holding
from wealth.services_holdings import FX_FIELDS, HOLDING_FIELDS

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class HoldingForm(forms.ModelForm):
    class Meta:
        model = Holding
        fields = HOLDING_FIELDS
        widgets = {
            "started_on": _DATE,
            "matures_on": _DATE,
            "amount": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
        }
        help_texts = {
            "amount": _("The market value today; for a loan or mortgage, the balance still owed."),
            "institution": _("Required when it is held with another institution."),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = CURRENCIES
        for name in masking.unwritable_fields(user, Holding):
            self.fields.pop(name, None)

    def clean_external_id(self) -> str | None:
        return (self.cleaned_data.get("external_id") or "").strip() or None

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}


class FxRateForm(forms.Form):
    """The FX rate's fields (a plain form: the service checks the pair, the day and the rate, and
    says which rate exists already in the user's words)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        widgets = {"valid_from": _DATE, "rate": forms.NumberInput(attrs={"step": "0.00000001", "min": "0"})}
        for name in FX_FIELDS:
            field = FxRate._meta.get_field(name).formfield(widget=widgets.get(name))
            if name == "rate":
                field.help_text = _("How many units of the second currency one unit of the first buys.")
            self.fields[name] = field
