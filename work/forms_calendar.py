"""The appointment form of the calendar pages (the services validate; the form parses)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from core.concurrency import VersionedFormMixin
from customers.models import Contact
from work.models.calendar import AppointmentKind, Recurrence


class _DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class AppointmentForm(VersionedFormMixin, forms.Form):
    """Times are read and shown in the active (business) time zone; the service stores UTC."""

    kind = forms.ChoiceField(label=_("kind"), choices=AppointmentKind.choices)
    title = forms.CharField(label=_("title"), max_length=200)
    all_day = forms.BooleanField(label=_("all day"), required=False)
    starts_at = forms.DateTimeField(label=_("starts"), required=False, widget=_DateTimeInput(),
                                    input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    ends_at = forms.DateTimeField(label=_("ends"), required=False, widget=_DateTimeInput(),
                                  input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    start_date = forms.DateField(label=_("first day"), required=False, widget=_DateInput(),
                                 help_text=_("For all-day appointments."))
    end_date = forms.DateField(label=_("last day"), required=False, widget=_DateInput())
    recurrence = forms.ChoiceField(label=_("repeats"), choices=Recurrence.choices, required=False)
    recurrence_until = forms.DateField(label=_("repeats until"), required=False, widget=_DateInput())
    location = forms.CharField(label=_("location"), max_length=200, required=False)
    users = forms.ModelMultipleChoiceField(label=_("attendees"), queryset=User.objects.none(), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    contacts = forms.ModelMultipleChoiceField(label=_("contact persons"), queryset=Contact.objects.none(),
                                              required=False, widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    save_anyway = forms.BooleanField(required=False, widget=forms.HiddenInput)

    wide_fields = ("users", "contacts", "notes")

    def __init__(self, *args: Any, actor: User, customer: Any = None, attendee_ids: list[int] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Colleagues of the organiser's team, and whoever is invited already.
        colleagues = User.objects.filter(is_active=True, team_id=actor.team_id) if actor.team_id else \
            User.objects.filter(pk=actor.pk)
        self.fields["users"].queryset = (colleagues | User.objects.filter(pk__in=attendee_ids or [])).exclude(
            pk=actor.pk).distinct().order_by("username")
        if customer is not None:
            self.fields["contacts"].queryset = Contact.objects.filter(customer=customer, deleted_at__isnull=True)
        else:
            del self.fields["contacts"]

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {k: data[k] for k in ("kind", "title", "all_day", "starts_at", "ends_at", "start_date", "end_date",
                                     "recurrence", "recurrence_until", "location", "notes")}
