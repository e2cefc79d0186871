"""Forms of the interaction pages: validate only; views pass the data to interactions.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import User
from customers.models import Contact
from interactions.choices import Direction, InteractionChannel
from interactions.models import Interaction

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} · {obj.team.name}" if obj.team_id and obj.team else str(obj)


def staff_choices(user: User) -> Any:
    """Active users of the user's team (everyone for roles that see all customers)."""
    qs = User.objects.filter(is_active=True).select_related("team").order_by("team__name", "username")
    if not user.sees_all_customers:
        qs = qs.filter(team_id=user.team_id) if user.team_id else qs.filter(pk=user.pk)
    return qs


class InteractionForm(forms.ModelForm):
    """An interaction and, optionally, a follow-up task in one step."""

    staff = UserChoiceField(label=_("Staff member"), queryset=User.objects.none(), required=False)
    follow_up_title = forms.CharField(label=_("Follow-up: what to do"), max_length=200, required=False)
    follow_up_due = forms.DateField(label=_("Follow-up due"), required=False, widget=_DATE)
    follow_up_assignee = UserChoiceField(label=_("Follow-up assignee"), queryset=User.objects.none(), required=False,
                                         empty_label=_("Me"))

    class Meta:
        model = Interaction
        fields = ["channel", "direction", "occurred_at", "subject", "content", "outcome", "contact", "staff"]
        widgets = {
            "occurred_at": _DATETIME,
            "content": forms.Textarea(attrs={"rows": 3}),
            "outcome": forms.TextInput(),
        }

    wide_fields = ("subject", "content", "outcome")

    def __init__(self, *args: Any, user: User, customer_id: int, with_follow_up: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = staff_choices(user)
        self.fields["staff"].queryset = people
        self.fields["follow_up_assignee"].queryset = people
        self.fields["occurred_at"].input_formats = DATETIME_FORMATS
        self.fields["contact"].queryset = Contact.objects.restrict(user, "view").filter(customer_id=customer_id)
        self.fields["contact"].required = False
        self.fields["subject"].widget.attrs["placeholder"] = _("e.g. Asked about the new fund")
        if not self.is_bound and not self.initial.get("occurred_at"):
            self.initial["occurred_at"] = timezone.localtime().replace(second=0, microsecond=0)
        if not self.is_bound and not self.initial.get("channel"):
            self.initial["channel"] = InteractionChannel.PHONE  # the most common contact: one less click
        if not self.is_bound and "staff" not in self.initial:
            self.initial["staff"] = user.pk
        if not with_follow_up:
            for name in ("follow_up_title", "follow_up_due", "follow_up_assignee"):
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "follow_up_title" in self.fields:
            title, due = data.get("follow_up_title"), data.get("follow_up_due")
            if title and not due:
                self.add_error("follow_up_due", _("Give the follow-up a due date."))
            if due and not title:
                self.add_error("follow_up_title", _("Say what is to be done."))
        return data

    def service_data(self) -> dict[str, Any]:
        data = {k: self.cleaned_data[k] for k in self.Meta.fields}
        if data.get("staff") is None:
            data.pop("staff")  # the service names the acting user
        return data

    def follow_up(self) -> dict[str, Any] | None:
        if not self.cleaned_data.get("follow_up_title"):
            return None
        return {"title": self.cleaned_data["follow_up_title"], "due_on": self.cleaned_data["follow_up_due"],
                "assignee": self.cleaned_data.get("follow_up_assignee")}

    def main_fields(self) -> list[forms.BoundField]:
        return [self[f] for f in self.Meta.fields]

    def follow_up_fields(self) -> list[forms.BoundField]:
        return [self[f] for f in ("follow_up_title", "follow_up_due", "follow_up_assignee") if f in self.fields]


class InteractionFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"placeholder": _("Subject or customer")}))
    channel = forms.ChoiceField(label=_("Channel"), required=False,
                                choices=[("", _("All")), *InteractionChannel.choices])
    direction = forms.ChoiceField(label=_("Direction"), required=False, choices=[("", _("All")), *Direction.choices])
    staff = UserChoiceField(label=_("Staff member"), required=False, queryset=User.objects.none(),
                            empty_label=_("All"))
    date_from = forms.DateField(label=pgettext_lazy("date range", "From"), required=False, widget=_DATE)
    date_to = forms.DateField(label=pgettext_lazy("date range", "To"), required=False, widget=_DATE)
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = staff_choices(user)

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        out: dict[str, Any] = {}
        for key, value in self.cleaned_data.items():
            if value in (None, ""):
                continue
            out[key] = value.pk if hasattr(value, "pk") else (value.strip() if isinstance(value, str) else value)
        return out
