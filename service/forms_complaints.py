"""Forms of complaints: record one, move it a step, grant compensation, decide an approval, set limits."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.roles import Role
from commerce.forms import OrderRefField
from commerce.models import Order, Product
from service.choices import Severity
from service.complaint_workflow import ComplaintState
from service.models.complaints import (
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    CustomerReaction,
    RecoveryAction,
    RootCause,
)


class ComplaintForm(forms.ModelForm):
    """Recorded in seconds: channel, category, severity, what happened and what the customer really wants."""

    order = OrderRefField(label=pgettext_lazy("sales order", "Order"), queryset=Order.objects.none(), required=False)

    class Meta:
        model = Complaint
        fields = ["channel", "category", "severity", "description", "wanted", "order", "product"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "wanted": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {"wanted": _("Step 2: not what they say, what they hope for (a replacement, an apology, …).")}

    def __init__(self, *args: Any, orders: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["order"].queryset = orders if orders is not None else Order.objects.none()
        self.fields["product"].queryset = Product.objects.filter(deleted_at__isnull=True).order_by("name")


class ComplaintFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False, choices=[("", _("Any"))] + ComplaintState.choices)
    severity = forms.ChoiceField(label=_("Severity"), required=False, choices=[("", _("Any"))] + Severity.choices)
    category = forms.ChoiceField(label=_("Category"), required=False,
                                 choices=[("", _("Any"))] + ComplaintCategory.choices)
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("Any"))] + ComplaintChannel.choices)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    mine = forms.BooleanField(label=_("Mine only"), required=False)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        out = {k: v for k, v in self.cleaned_data.items() if v and k != "mine"}
        if self.cleaned_data.get("mine") and self.user is not None:
            out["owner"] = self.user.pk
        return out


class AdvanceForm(forms.Form):
    """One step of the workflow, with what that step records."""

    to_state = forms.ChoiceField(choices=ComplaintState.choices, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)
    recovery_action = forms.ChoiceField(label=_("Recovery action"), required=False,
                                        choices=[("", "—")] + RecoveryAction.choices)
    reaction = forms.ChoiceField(label=_("Customer's reaction"), required=False,
                                 choices=[("", "—")] + CustomerReaction.choices)
    reaction_note = forms.CharField(label=_("How the customer felt"), required=False, max_length=500)
    root_cause = forms.ChoiceField(label=_("Root cause"), required=False, choices=[("", "—")] + RootCause.choices)

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"to_state": data["to_state"], "note": data.get("note") or "",
                **{k: data[k] for k in ("recovery_action", "reaction", "reaction_note", "root_cause") if data.get(k)}}


class CompensationForm(forms.Form):
    amount = forms.DecimalField(label=_("Compensation amount"), max_digits=14, decimal_places=2, min_value=0.01)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(choices=[("1", _("Approve")), ("0", _("Decline"))], coerce=lambda v: v == "1")
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class LimitsForm(forms.Form):
    """One field per role: the compensation its users grant at once (empty: the default)."""

    def __init__(self, *args: Any, current: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for role, label in Role.choices:
            self.fields[role] = forms.DecimalField(label=label, required=False, min_value=0, max_digits=14,
                                                   decimal_places=2, initial=current.get(role))
