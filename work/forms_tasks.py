"""Forms of the task pages: validate only; views pass the data to work.services_tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Team, User
from customers.forms import UserChoiceField
from work.models import Task, TaskStatus

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def people_for(user: User) -> Any:
    """Whom the user may assign tasks to: active users of the user's team (everyone for roles that
    see all customers); the services still check that the assignee sees the customer."""
    qs = User.objects.filter(is_active=True).select_related("team").order_by("team__name", "username")
    if not user.sees_all_customers:
        qs = qs.filter(team_id=user.team_id) if user.team_id else qs.filter(pk=user.pk)
    return qs


def teams_for(user: User) -> Any:
    return Team.objects.all() if user.sees_all_customers else Team.objects.filter(pk=user.team_id)


class TaskForm(forms.ModelForm):
    """A task: what, when (a day, optionally a time), who (a person or a team's queue), repeats."""

    due_time = forms.TimeField(label=_("Due time"), required=False, widget=_TIME,
                               help_text=_("Leave empty for a task of the whole day."))
    assignee = UserChoiceField(label=_("Assignee"), queryset=User.objects.none(), required=False, empty_label=_("Me"))
    save_anyway = forms.BooleanField(
        label=_("Save anyway"), required=False,
        help_text=_("Save even if the time overlaps other plans of the assignee (the conflict is noted)."),
    )

    class Meta:
        model = Task
        fields = ["title", "description", "due_on", "due_time", "duration_minutes", "priority", "assignee", "team",
                  "remind_at", "recurrence", "recurrence_interval", "recurrence_until", "recurrence_count"]
        widgets = {"due_on": _DATE, "remind_at": _DATETIME, "recurrence_until": _DATE,
                   "description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"team": _("A team's queue: any member may take the task."),
                      "recurrence_count": _("How many times in all; empty: no limit.")}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["assignee"].queryset = people_for(user)
        self.fields["team"].queryset = teams_for(user)
        self.fields["remind_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        if self.instance.pk and self.instance.due_at is not None:
            self.initial["due_time"] = timezone.localtime(self.instance.due_at).time()
        if self.instance.pk and self.instance.assignee_id is None:
            self.fields["assignee"].empty_label = _("Nobody yet (in the team's queue)")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("assignee") and not data.get("team"):
            # "Me" on a new task; on an edit it keeps whoever has the task.
            data["assignee"] = self.instance.assignee if self.instance.pk and self.instance.assignee_id else self.user
        return data

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in self.Meta.fields if name != "due_time"}
        data["save_anyway"] = self.cleaned_data.get("save_anyway", False)
        clock, day = self.cleaned_data.get("due_time"), self.cleaned_data.get("due_on")
        data["due_at"] = timezone.make_aware(datetime.combine(day, clock)) if clock and day else None
        if data.get("recurrence_interval") is None:
            data["recurrence_interval"] = 1
        return data


WHOSE_CHOICES = [("mine", _("Mine")), ("team", _("My team's queue")), ("all", _("All I may see"))]


class TaskFilterForm(forms.Form):
    whose = forms.ChoiceField(label=_("Whose"), required=False, choices=WHOSE_CHOICES)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All")), *TaskStatus.choices])
    due_from = forms.DateField(label=pgettext_lazy("date range", "From"), required=False, widget=_DATE)
    due_to = forms.DateField(label=pgettext_lazy("date range", "To"), required=False, widget=_DATE)
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def filters(self) -> dict[str, Any]:
        """Open tasks assigned to me by default (the "My tasks" page)."""
        if not self.is_bound:
            return {"whose": "mine", "status": TaskStatus.OPEN}
        if not self.is_valid():
            return {}
        out = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        out.setdefault("whose", "mine")
        if "status" not in self.data:  # the page as first opened; an explicit empty status means all
            out["status"] = TaskStatus.OPEN
        return out
