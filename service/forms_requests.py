"""Forms of the service requests' pages: quick entry, edit, assignment, status, list filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import User
from service.categories import ServiceCategory
from service.choices import RequestPriority
from service.models import RequestStatus, ServiceRequest
from service.selectors_requests import STATUS_CHOICES

EDIT_FIELDS = ["subject", "category", "priority", "description", "order"]


class _OrderField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.number} · {obj.ordered_at:%Y-%m-%d} · {obj.get_status_display()}"


class RequestForm(forms.ModelForm):
    """Edit what a request is about (the records layer's edit page)."""

    order = _OrderField(label=pgettext_lazy("sales order", "Order"), queryset=None, required=False,
                        help_text=_("Optional: the order the request is about (its lines and status show on the "
                                    "request)."))

    class Meta:
        model = ServiceRequest
        fields = EDIT_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, orders: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["order"].queryset = orders


class QuickRequestForm(forms.Form):
    """One short form: the customer (picked with the header search's matching), what is asked, how
    urgent, optionally who takes it."""

    customer = forms.IntegerField(label=_("Customer"), widget=forms.HiddenInput,
                                  error_messages={"required": _("Find and pick the customer first.")})
    subject = forms.CharField(label=_("Subject"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=ServiceCategory.choices, initial=ServiceCategory.OTHER)
    priority = forms.ChoiceField(label=_("Priority"), choices=RequestPriority.choices, initial=RequestPriority.NORMAL)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=User.objects.none(), required=False,
                                      empty_label=_("— nobody yet (unassigned) —"))

    def __init__(self, *args: Any, assignees: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(pk__in=[u.pk for u in assignees]).order_by("username")

    def service_data(self) -> dict[str, Any]:
        data = {k: self.cleaned_data[k] for k in ("subject", "category", "priority", "description")}
        if self.cleaned_data.get("assignee"):
            data["assignee"] = self.cleaned_data["assignee"].pk
        return data


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=User.objects.none(), required=False,
                                      empty_label=_("— unassigned —"))
    reason = forms.CharField(label=_("Why"), max_length=300, required=False,
                             help_text=_("Required when the request already has someone."))

    def __init__(self, *args: Any, assignees: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(pk__in=[u.pk for u in assignees]).order_by("username")


STATUS_MOVES = [*RequestStatus.choices, ("reopen", _("Reopen"))]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Move to"), choices=STATUS_MOVES)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    solved_by_article = forms.IntegerField(label=_("Solved by article №"), required=False, min_value=1)
    resolution = forms.CharField(label=_("Resolution"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RequestFilterForm(forms.Form):
    q = forms.CharField(label=_("Text"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)
    priority = forms.ChoiceField(label=_("Priority"), required=False,
                                 choices=[("", _("Any")), *RequestPriority.choices])
    category = forms.ChoiceField(label=_("Category"), required=False,
                                 choices=[("", _("Any")), *ServiceCategory.choices])
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, assignees: list[User] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("Anyone")), ("me", _("Me")), ("none", _("Unassigned")),
                                           *[(str(u.pk), str(u)) for u in (assignees or [])]]

    def filters(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "", False)}
