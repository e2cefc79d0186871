"""Forms of the segmentation pages. They validate only; views hand the cleaned data to the services
(segmentation.saved, .rules, .manual and the lifecycle mark services)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User, users_who_may_own_customers
from accounts.roles import Role
from segmentation import filters, selectors
from segmentation.choices import ChurnReason, LifecycleMarkKind
from segmentation.models import SavedSegment, Scheme, SchemeClass

EXTRA_ROWS = 3


class RulesEditor:
    """The rows of a filter in a form: field, operator and value typed as text (lists separated
    by commas). Rows without a field are ignored. Posted as <prefix>-<n>-field|op|value."""

    def __init__(self, data: Mapping[str, Any] | None = None, *, prefix: str = "cond",
                 rules: list[dict[str, Any]] | None = None, fields: Mapping[str, filters.FieldSpec] | None = None,
                 extra: int = EXTRA_ROWS) -> None:
        self.prefix = prefix
        self.fields = filters.catalogue() if fields is None else fields
        if data is not None:
            count = 0
            while f"{prefix}-{count}-field" in data and count < filters.MAX_CONDITIONS + extra:
                count += 1
            self.rows = [{"field": data.get(f"{prefix}-{i}-field", ""), "op": data.get(f"{prefix}-{i}-op", ""),
                          "value": data.get(f"{prefix}-{i}-value", "")} for i in range(count)]
        else:
            self.rows = [{"field": c.get("field", ""), "op": c.get("op", ""),
                          "value": filters.value_text(self.fields.get(c.get("field", "")), c)}
                         for c in (rules or [])]
        filled = [r for r in self.rows if r["field"]]
        self.rows = filled + [{"field": "", "op": "", "value": ""} for _ in range(extra)]
        for i, row in enumerate(self.rows):
            row["name"] = f"{prefix}-{i}"

    def raw_rules(self) -> list[dict[str, Any]]:
        """The rows as a filter, values parsed from their text (validation comes after)."""
        out = []
        for row in self.rows:
            if not row["field"]:
                continue
            spec = self.fields.get(row["field"])
            out.append({"field": row["field"], "op": row["op"],
                        "value": filters.parse_value(spec, row["op"], row["value"])})
        return out

    def groups(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Fields by group, for the <select>'s optgroups."""
        out: dict[str, list[tuple[str, str]]] = {}
        for spec in self.fields.values():
            out.setdefault(str(spec.group), []).append((spec.key, str(spec.label)))
        return list(out.items())

    def ops(self) -> list[tuple[str, str]]:
        return [(k, str(v)) for k, v in filters.OPS.items()]

    def catalogue(self) -> list[dict[str, Any]]:
        return filters.catalogue_json(self.fields)


class SavedSegmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    shared_with_team = forms.ModelChoiceField(label=_("Share with team"), queryset=Team.objects.none(),
                                              required=False, empty_label=_("Nobody (private)"))
    shared_with_all = forms.BooleanField(label=_("Share with everyone"), required=False,
                                         help_text=_("Each user still sees only the customers they may see."))

    def __init__(self, *args: Any, user: User, editor: RulesEditor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editor = editor
        teams = Team.objects.all()
        if user.effective_role != Role.ADMIN:
            teams = teams.filter(pk=user.team_id) if user.team_id else teams.none()
        self.fields["shared_with_team"].queryset = teams

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            data["rules"] = filters.validate_rules(self.editor.raw_rules(), fields=self.editor.fields)
        except ValidationError as exc:
            self.add_error(None, exc)
        return data

    def require_name(self) -> bool:
        """Saving (not previewing) needs a name."""
        if self.is_valid() and not self.cleaned_data.get("name", "").strip():
            self.add_error("name", _("This field is required."))
        return self.is_valid()


class AssignForm(forms.Form):
    """Set a customer's class of a manual scheme."""

    class_key = forms.ChoiceField(label=_("Class"))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, choices: list[tuple[str, str]], note_help: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["class_key"].choices = choices
        if note_help:
            self.fields["note"].help_text = note_help


class LifecycleMarkForm(forms.Form):
    """Mark a customer as target, non-customer or churned (with its reason), or clear the mark."""

    CLEAR = "clear"
    kind = forms.ChoiceField(label=_("Mark"))
    marked_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    churn_reason = forms.ChoiceField(label=_("Churn reason"), required=False,
                                     choices=[("", "—"), *ChurnReason.choices])
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, has_mark: bool, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("marked_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        choices = list(LifecycleMarkKind.choices)
        if has_mark:
            choices.append((self.CLEAR, _("Clear the current mark")))
        self.fields["kind"].choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == LifecycleMarkKind.CHURNED and not data.get("churn_reason"):
            self.add_error("churn_reason", _("Say why the customer left."))
        if data.get("kind") != LifecycleMarkKind.CHURNED:
            data["churn_reason"] = ""
        on = data.get("marked_on")
        if on and on > timezone.localdate():
            self.add_error("marked_on", _("The date cannot be in the future."))
        return data


class RuleSchemeForm(forms.Form):
    """A rule scheme: name, description, the catch-all's name; classes come as rows."""

    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    catch_all_name = forms.CharField(label=_("Name of the catch-all class"), max_length=100, required=False,
                                     help_text=_("Everyone who matches no class above lands here."))


def rule_class_rows(data: Mapping[str, Any] | None, *, user: Any, scheme: Scheme | None,
                    segments: list[SavedSegment]) -> list[dict[str, Any]]:
    """The class rows of the rule scheme form: existing classes (ordered) plus blank ones. Each row
    has an order, a name and a saved segment whose filter the class takes (empty: keep its own). A
    kept filter the user may not read (from someone's private segment) is described by a note."""
    existing = [c for c in (scheme.classes.all() if scheme else []) if not c.is_catch_all]
    by_id = {str(c.pk): c for c in existing}
    if data is None:
        rows = [{"id": str(c.pk), "order": str(i + 1), "name": c.name, "segment": "", "rules": c.rules}
                for i, c in enumerate(existing)]
    else:
        rows = []
        i = 0
        while f"class-{i}-name" in data and i < 50:
            cid = data.get(f"class-{i}-id", "")
            rows.append({"id": cid if cid in by_id else "", "order": data.get(f"class-{i}-order", ""),
                         "name": data.get(f"class-{i}-name", ""), "segment": data.get(f"class-{i}-segment", ""),
                         "rules": by_id[cid].rules if cid in by_id else []})
            i += 1
    start = len([r for r in rows if r["id"] or r["name"]])
    rows = [r for r in rows if r["id"] or r["name"]]
    rows += [{"id": "", "order": str(start + k + 1), "name": "", "segment": "", "rules": []}
             for k in range(EXTRA_ROWS)]
    valid = {str(s.pk): s for s in segments}
    for i, row in enumerate(rows):
        row["prefix"] = f"class-{i}"
        row["segment_obj"] = valid.get(row["segment"])
        cls = by_id.get(row["id"])
        hidden = cls is not None and not selectors.class_rules_visible(user, cls)
        row["hidden"] = selectors.class_rules_hidden_note(cls) if hidden else ""
        row["description"] = filters.describe(row["rules"]) if row["rules"] and not hidden else []
    return rows


def rule_classes_from_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The classes for rule_scheme_save, in the order typed (blank rows dropped). A row naming an
    unknown segment raises ValidationError."""
    chosen = []
    for row in rows:
        if not row["name"].strip():
            continue
        if row["segment"] and row["segment_obj"] is None:
            raise ValidationError(_("Choose one of your saved segments."))
        rules = row["segment_obj"].rules if row["segment_obj"] is not None else row["rules"]
        try:
            position: int | None = int(row["order"])
        except (TypeError, ValueError):
            position = None  # no position typed: after the numbered ones, in typing order
        chosen.append((10_000 if position is None else position, len(chosen), {
            "id": int(row["id"]) if row["id"] else None, "name": row["name"], "rules": rules, "position": position,
            "segment": row["segment_obj"]}))
    return [c for _o, _i, c in sorted(chosen, key=lambda t: (t[0], t[1]))]


def manager_choices() -> list[tuple[str, str]]:
    """Active users who may be named responsible for a class (not the read-only analyst)."""
    return [("", "—")] + [(str(u.pk), str(u)) for u in users_who_may_own_customers().order_by("username")]


def class_manager_updates(data: Mapping[str, Any], classes: list[SchemeClass]) -> list[tuple[SchemeClass, Any]]:
    """(class, user or None) for every class whose manager field was posted."""
    users = {str(u.pk): u for u in users_who_may_own_customers()}
    out = []
    for cls in classes:
        key = f"manager-{cls.pk}"
        if key not in data:
            continue
        value = data.get(key) or ""
        if value and value not in users:
            raise ValidationError(_("Choose an active user who may be responsible for customers."))
        out.append((cls, users.get(value)))
    return out
