"""Forms of the SLA part: the working calendar, holidays, SLA policies, service agreements."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from service.choices import SlaSubject
from service.models import Holiday, ServiceAgreement, WorkingCalendar
from service.models.sla import LEVELS, MAX_SLA_MINUTES, AgreementLevel, AgreementStatus, level_label

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")

WEEKDAY_CHOICES = [
    ("1", _("Monday")), ("2", _("Tuesday")), ("3", _("Wednesday")), ("4", _("Thursday")),
    ("5", _("Friday")), ("6", _("Saturday")), ("7", _("Sunday")),
]


def sla_keys() -> list[tuple[str, str]]:
    """Every (subject, level), most severe level first."""
    return [(subject, level) for subject, levels in LEVELS.items() for level in reversed(levels.values)]


def _minutes_field(label: str, required: bool) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=required, min_value=1, max_value=MAX_SLA_MINUTES,
                              widget=forms.NumberInput(attrs={"step": "1", "min": "1", "class": "short"}))


class SlaGridMixin:
    """Two fields per (subject, level): `<subject>_<level>_ack` and `…_resolve`, in working minutes."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def add_sla_fields(self, *, required: bool, initial: dict[tuple[str, str], tuple[int, int]]) -> None:
        for subject, level in sla_keys():
            name = f"{subject}_{level}"
            label = f"{SlaSubject(subject).label} · {level_label(subject, level)}"
            ack, res = initial.get((subject, level), (None, None))
            self.fields[f"{name}_ack"] = _minutes_field(
                str(_("%(level)s: minutes to acknowledge") % {"level": label}), required)
            self.fields[f"{name}_resolve"] = _minutes_field(
                str(_("%(level)s: minutes to resolve") % {"level": label}), required)
            self.fields[f"{name}_ack"].initial = ack
            self.fields[f"{name}_resolve"].initial = res

    def sla_rows(self) -> list[dict[str, Any]]:
        """For templates: one row per (subject, level) with its two bound fields."""
        return [{"label": f"{SlaSubject(s).label} · {level_label(s, lv)}",
                 "ack": self[f"{s}_{lv}_ack"], "resolve": self[f"{s}_{lv}_resolve"]}  # type: ignore[index]
                for s, lv in sla_keys()]

    def sla_times(self) -> dict[tuple[str, str], tuple[int, int]]:
        """The (acknowledge, resolve) given per (subject, level); a row with one half is an error."""
        out = {}
        for subject, level in sla_keys():
            ack = self.cleaned_data.get(f"{subject}_{level}_ack")
            res = self.cleaned_data.get(f"{subject}_{level}_resolve")
            if ack is None and res is None:
                continue
            if ack is None or res is None:
                self.add_error(f"{subject}_{level}_{'ack' if ack is None else 'resolve'}",  # type: ignore[attr-defined]
                               _("Give both times, or neither."))
                continue
            if res < ack:
                self.add_error(f"{subject}_{level}_resolve",  # type: ignore[attr-defined]
                               _("The time to resolve cannot be shorter than the time to acknowledge."))
                continue
            out[(subject, level)] = (ack, res)
        return out


class CalendarForm(forms.ModelForm):
    weekdays = forms.MultipleChoiceField(label=_("Working days"), choices=WEEKDAY_CHOICES,
                                         widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WorkingCalendar
        fields = ["weekdays", "day_start", "day_end", "lunch_start", "lunch_end", "renewal_notice_days"]
        widgets = {"day_start": _TIME, "day_end": _TIME, "lunch_start": _TIME, "lunch_end": _TIME}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance and not self.is_bound:
            self.initial["weekdays"] = list(self.instance.weekdays)

    def clean_weekdays(self) -> str:
        # Stored as the ISO weekday digits, "12345".
        return "".join(sorted(self.cleaned_data["weekdays"]))

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields}  # type: ignore[misc]


class HolidayForm(forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ["date", "name", "is_working_day"]
        widgets = {"date": _DATE}


class HolidayImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_("One day a line: date,name,working (working: 1 for a "
                                                            "make-up working day, 0 or empty for a holiday)."))


class PolicyForm(SlaGridMixin, forms.Form):
    def __init__(self, *args: Any, policies: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_sla_fields(required=True, initial={(p.subject, p.level): (p.acknowledge_minutes, p.resolve_minutes)
                                                    for p in policies})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.times = self.sla_times()
        return cleaned


class AgreementForm(SlaGridMixin, forms.ModelForm):
    """The agreement's fields and the SLA it grants (empty rows: the default policy applies)."""

    class Meta:
        model = ServiceAgreement
        fields = ["number", "level", "starts_on", "ends_on", "terms", "sla"]
        widgets = {"starts_on": _DATE, "ends_on": _DATE, "terms": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The stored SLA arrives as the initial "sla" (records layer: model_to_dict); it is edited as a grid.
        terms = self.initial.get("sla") or {}
        self.fields.pop("sla")
        self.add_sla_fields(required=False, initial={
            (s, lv): (t[0], t[1]) for s, levels in terms.items() if isinstance(levels, dict)
            for lv, t in levels.items() if isinstance(t, list | tuple) and len(t) == 2
        })

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.times = self.sla_times()
        return cleaned

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in ["number", "level", "starts_on", "ends_on", "terms"]}
        sla: dict[str, dict[str, list[int]]] = {}
        for (subject, level), (ack, res) in self.times.items():
            sla.setdefault(subject, {})[level] = [ack, res]
        data["sla"] = sla
        return data

    def main_fields(self) -> list[Any]:
        return [self[name] for name in ["number", "level", "starts_on", "ends_on", "terms"]]


class AgreementDocumentForm(forms.Form):
    file = forms.FileField(label=_("Document"))
    description = forms.CharField(label=_("Description"), max_length=255, required=False)


class AgreementFilterForm(forms.Form):
    status = forms.ChoiceField(label=pgettext_lazy("agreement", "Status"), required=False,
                               choices=[("", _("All"))] + list(AgreementStatus.choices))
    level = forms.ChoiceField(label=_("Agreement level"), required=False,
                              choices=[("", _("All"))] + list(AgreementLevel.choices))
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def filters(self) -> dict[str, Any]:
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
