"""Forms of the asset reviews: the notes of a review, the per-customer schedule, the cadence rule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Tag
from customers.records.views import versioned
from wealth.models import AssetReview, ReviewCadence, ReviewSchedule


class ReviewStartForm(forms.Form):
    reviewed_on = forms.DateField(label=_("Review date"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))


class ReviewNotesForm(forms.ModelForm):
    class Meta:
        model = AssetReview
        fields = ["notes", "next_steps", "next_review_on"]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 4}),
            "next_steps": forms.Textarea(attrs={"rows": 3}),
            "next_review_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }


ReviewNotesVersionedForm = versioned(ReviewNotesForm)


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = ReviewSchedule
        fields = ["important_flag", "language"]


class CadenceForm(forms.ModelForm):
    important_tags = forms.ModelMultipleChoiceField(
        label=_("Important tags"), queryset=Tag.objects.order_by("name"), required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ReviewCadence
        fields = ["important_months", "other_months", "important_tiers"]

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
