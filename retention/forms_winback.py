"""Forms of the win-back pages. They validate only; views hand the cleaned data to
retention.services_winback."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from interactions.choices import InteractionChannel
from retention.models.winback import UNKNOWN_REASON, ValueBasis
from segmentation.choices import ChurnReason


class MarkLostForm(forms.Form):
    """Mark a customer lost (reason class, note, competitor); for a customer whose loss is waiting
    for its reason, also the contact that told it (`needs_contact`)."""

    reason = forms.ChoiceField(label=_("Why did the customer leave?"), choices=[("", "—"), *ChurnReason.choices])
    note = forms.CharField(label=_("What happened"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    competitor = forms.CharField(label=_("Competitor they went to (if known)"), required=False, max_length=200)
    marked_on = forms.DateField(label=_("Lost since"), widget=forms.DateInput(attrs={"type": "date"}))
    interaction = forms.TypedChoiceField(label=_("Contact that told you why"), required=False, coerce=int,
                                         empty_value=None)
    contact_channel = forms.ChoiceField(label=_("Or record the contact now: channel"), required=False,
                                        choices=[("", "—"), *InteractionChannel.choices])
    contact_subject = forms.CharField(label=_("Subject"), required=False, max_length=200)
    contact_content = forms.CharField(label=_("What the customer said"), required=False, max_length=20_000,
                                      widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, needs_contact: bool, interactions: list[tuple[int, str]], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("marked_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.needs_contact = needs_contact
        self.fields["interaction"].choices = [("", "—"), *interactions]
        if needs_contact:
            # The loss began when the lifecycle rule said so: the date is not asked.
            del self.fields["marked_on"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        on = data.get("marked_on")
        if on and on > timezone.localdate():
            self.add_error("marked_on", _("The date cannot be in the future."))
        if data.get("contact_subject") and not data.get("contact_channel"):
            self.add_error("contact_channel", _("Say how you contacted the customer."))
        if (self.needs_contact and not data.get("interaction") and not data.get("contact_subject")):
            self.add_error("interaction", _("Choose the contact that told you why, or record it below."))
        return data

    def contact(self) -> dict[str, str] | None:
        d = self.cleaned_data
        if not d.get("contact_subject"):
            return None
        return {"channel": d["contact_channel"], "subject": d["contact_subject"],
                "content": d.get("contact_content", ""),
                "direction": "outbound"}


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    reasons = forms.MultipleChoiceField(
        label=_("Reason classes (none: every reason)"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[*ChurnReason.choices, (UNKNOWN_REASON, _("Reason unknown"))])
    value_basis = forms.ChoiceField(label=_("Value"), choices=ValueBasis.choices, initial=ValueBasis.CLV)
    value_min = forms.DecimalField(label=_("Value from"), required=False, min_value=0, max_digits=16,
                                   decimal_places=2)
    value_max = forms.DecimalField(label=_("Value up to"), required=False, min_value=0, max_digits=16,
                                   decimal_places=2)
    lost_min_days = forms.IntegerField(label=_("Lost for at least (days)"), required=False, min_value=0,
                                       max_value=36500)
    lost_max_days = forms.IntegerField(label=_("Lost for at most (days)"), required=False, min_value=0,
                                       max_value=36500)
    by_task = forms.BooleanField(label=_("A task for each customer's owner"), required=False, initial=True)
    by_email = forms.BooleanField(label=_("An e-mail to each customer (the script of their reason class)"),
                                  required=False)
    language = forms.ChoiceField(label=_("E-mail language"), choices=[("zh-hans", "中文"), ("en", "English")])
    task_due_days = forms.IntegerField(label=_("Tasks due in (days)"), min_value=0, max_value=365, initial=7)


class ScriptForm(forms.Form):
    subject_zh = forms.CharField(label=_("Subject (Chinese)"), max_length=200)
    body_zh = forms.CharField(label=_("Text (Chinese)"), widget=forms.Textarea(attrs={"rows": 6}))
    subject_en = forms.CharField(label=_("Subject (English)"), max_length=200)
    body_en = forms.CharField(label=_("Text (English)"), widget=forms.Textarea(attrs={"rows": 6}))


class PeriodForm(forms.Form):
    """The rates' period: the last N days up to today."""

    DAYS = [(90, _("90 days")), (180, _("180 days")), (365, _("12 months")), (730, _("24 months"))]
    days = forms.TypedChoiceField(label=_("Period"), choices=DAYS, coerce=int, required=False, empty_value=365)
