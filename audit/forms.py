"""Filters of the audit pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from audit.models import SOURCE_CHOICES, AccessAction, ChangeAction


class AuditFilterForm(forms.Form):
    """User, action, source, customer, date range and text in the object's name."""

    action_choices: list[tuple[str, Any]] = ChangeAction.choices

    q = forms.CharField(label=_("Object name contains"), required=False, max_length=100)
    user = forms.ModelChoiceField(
        label=_("User"), required=False, queryset=get_user_model().objects.none(), empty_label=_("Anyone")
    )
    action = forms.ChoiceField(label=_("Action"), required=False)
    source = forms.ChoiceField(label=_("Source"), required=False, choices=[("", _("Any")), *SOURCE_CHOICES])
    customer = forms.IntegerField(label=_("Customer ID"), required=False, min_value=1)
    since = forms.DateField(label=_("Date from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Date to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Any")), *self.action_choices]
        # Everyone who may have acted, including deactivated users (their entries stay).
        self.fields["user"].queryset = get_user_model().objects.order_by("username")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date must not be before the start date."))
        return data

    def filters(self) -> dict[str, Any]:
        """The selector's filter mapping from the fields that are valid (an invalid field is
        reported on the form and ignored, not applied half-way)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = dict(self.cleaned_data)
        data["user"] = data["user"].pk if data.get("user") else None
        return data


class AccessFilterForm(AuditFilterForm):
    action_choices = AccessAction.choices
