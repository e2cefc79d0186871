"""Forms of the customer pages. They validate only: views pass `cleaned_data` to the services,
which do every write (a form here never calls `save()`)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from accounts.roles import Cap
from core import masking
from core.concurrency import VersionedFormMixin
from customers import selectors
from customers.choices import KEY_PERSON_DIMENSIONS, CustomerKind, RiskPreference
from customers.models import Contact, Customer, FamilyMember, Tag
from customers.services import CONTACT_FIELDS, FAMILY_FIELDS, tag_name_problem

# The blocks of the profile card (D1), shared by the form (fieldsets) and the card (dl.facts).
# Each block: (key, legend, fields, kind) where kind limits the block to persons or organisations.
BASIC_FIELDS = [
    "kind", "name", "external_id", "phone", "phone_alt", "email", "wechat_id", "id_type", "id_number",
    "province", "city", "address", "postal_code",
]
PERSON_FIELDS = ["birthday", "gender", "occupation", "employer", "education", "personality", "hobbies"]
ORGANISATION_FIELDS = [
    "legal_representative", "business_owner", "managers", "founded_on", "legal_form", "industry",
    "company_size", "assets", "assets_currency", "relationship_since",
]
CHARACTERISTICS_FIELDS = [
    "service_area", "sales_capacity", "growth_potential", "business_philosophy", "policies", "scale",
    "operating_style",
]
BUSINESS_FIELDS = ["performance", "staff_quality", "competitor_relations", "attitude_to_us"]
TRANSACTION_FIELDS = [
    "current_sales_activity", "problems", "strengths", "plans", "image", "reputation", "credit_standing",
    "trade_terms", "credit_incidents",
]
OTHER_FIELDS = ["source_channel", "risk_preference", "special_notes"]

# Characteristics (service area, sales capacity, policies …) and business status (performance, staff,
# competitors) describe a business (D1): a person's card does not have them (customer_blocks still
# shows them on a person's card that holds data there: DATA_SHOWS_BLOCK).
CUSTOMER_BLOCKS: list[tuple[str, Any, list[str], str]] = [
    ("basic", _("Basic data"), BASIC_FIELDS, ""),
    ("person", _("Personal details"), PERSON_FIELDS, CustomerKind.PERSON),
    ("organisation", _("Organisation details"), ORGANISATION_FIELDS, CustomerKind.ORGANISATION),
    ("characteristics", _("Characteristics"), CHARACTERISTICS_FIELDS, CustomerKind.ORGANISATION),
    ("business", _("Business status"), BUSINESS_FIELDS, CustomerKind.ORGANISATION),
    ("transaction", _("Transaction status"), TRANSACTION_FIELDS, ""),
    ("other", _("Source, risk and notes"), OTHER_FIELDS, ""),
]
# Blocks of the other kind that the card still shows when the customer has data in them (a person's
# card filled in as an organisation's before the blocks were split by kind; imports).
DATA_SHOWS_BLOCK = frozenset({"characteristics", "business"})
CUSTOMER_FORM_FIELDS = [f for _key, _legend, fields, _kind in CUSTOMER_BLOCKS for f in fields]

# An organisation's main number is a landline (电话), a person's a mobile (手机): the field's label by kind.
PHONE_LABELS: dict[str, Any] = {CustomerKind.PERSON: _("Mobile phone"), CustomerKind.ORGANISATION: _("Phone")}


def phone_label(kind: str) -> str:
    """The label of Customer.phone for a customer of this kind."""
    return str(PHONE_LABELS.get(kind, PHONE_LABELS[CustomerKind.PERSON]))


CURRENCIES = ["CNY", "USD", "EUR", "HKD", "GBP", "JPY"]


def masked_fields(user: User, model: type[Any] = Customer) -> list[str]:
    """Fields this user sees only masked (and those that change only with them), so may not edit: a
    masked value must never be saved (core.masking.unwritable_fields)."""
    return masking.unwritable_fields(user, model)


def _user_label(user: User) -> str:
    name = str(user)
    return f"{name} · {user.team.name}" if user.team_id and user.team else name


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return _user_label(obj)


_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CustomerForm(VersionedFormMixin, forms.ModelForm):
    """The whole card (create and edit). `owner` appears on create for users who may transfer. An
    edit carries the card's version (core.concurrency): a card changed meanwhile is not overwritten."""

    tags = forms.ModelMultipleChoiceField(
        label=_("Tags"), queryset=Tag.objects.none(), required=False,
        help_text=_("Hold Ctrl (⌘ on a Mac) to pick several."),
    )
    owner = UserChoiceField(
        label=_("Owner"), queryset=User.objects.none(), required=False,
        help_text=_("The account manager responsible for this customer."),
    )
    assets_currency = forms.ChoiceField(label=_("Assets currency"), choices=[(c, c) for c in CURRENCIES])

    class Meta:
        model = Customer
        fields = CUSTOMER_FORM_FIELDS
        widgets = {
            "birthday": _DATE,
            "founded_on": _DATE,
            "relationship_since": _DATE,
            "assets": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"type": "tel"}),
            "phone_alt": forms.TextInput(attrs={"type": "tel"}),
            **{
                f: forms.Textarea(attrs={"rows": 2})
                for f in ["personality", "hobbies", "managers", *CHARACTERISTICS_FIELDS, *BUSINESS_FIELDS,
                          *[t for t in TRANSACTION_FIELDS if t != "credit_standing"], "special_notes"]
            },
        }
        help_texts = {
            "external_id": _("Optional: the customer's number in another system."),
            "phone": _("Digits, spaces, dashes or a leading +, e.g. 138-1234-5678."),
            "special_notes": _("Things everyone who deals with this customer must know (特别注意事项)."),
        }

    def __init__(self, *args: Any, user: User, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["name"].widget.attrs["autofocus"] = True
        self.fields["tags"].queryset = Tag.objects.restrict(user, "view")
        self.fields["tags"].widget.attrs["size"] = 6
        if creating and user.can(Cap.TRANSFER):
            self.fields["owner"].queryset = selectors.owners_assignable(user)
            self.fields["owner"].initial = user.pk
            self.fields["owner"].empty_label = None
        else:
            del self.fields["owner"]
        # Masked values are shown on the card but cannot be edited by roles that only see them masked.
        if not creating:
            for name in masked_fields(user):
                self.fields.pop(name, None)
        currency = self.initial.get("assets_currency") or settings.KEHU_DEFAULT_CURRENCY
        if "assets_currency" in self.fields:
            self.fields["assets_currency"].initial = currency
            if currency not in CURRENCIES:
                self.fields["assets_currency"].choices = [(currency, currency), *self.fields["assets_currency"].choices]
        self.fields["kind"].widget.attrs["data-kind-select"] = ""
        # The phone's label follows the type (手机 for a person, 电话 for an organisation); kehu.js swaps
        # it when the type is changed on the page.
        if "phone" in self.fields:
            kind = (self.data.get(self.add_prefix("kind")) if self.is_bound else None) or self.initial.get("kind")
            self.fields["phone"].label = phone_label(kind)
            self.fields["phone"].widget.attrs["data-kind-labels"] = json.dumps(
                {k: str(v) for k, v in PHONE_LABELS.items()}, ensure_ascii=False
            )

    # Fields that take the whole width of the two-column form grid.
    wide_fields = ("managers", "special_notes", "tags")

    def _update_errors(self, errors: forms.ValidationError) -> None:
        """Customer.clean() may refuse a stored value this user's form does not show (a masked
        one): say so above the form, named by its label, instead of failing on the missing field."""
        if hasattr(errors, "error_dict"):
            shown: dict[str, list[Any]] = {}
            for name, messages in errors.error_dict.items():
                if name == NON_FIELD_ERRORS or name in self.fields:
                    shown.setdefault(name, []).extend(messages)
                else:
                    label = Customer._meta.get_field(name).verbose_name
                    shown.setdefault(NON_FIELD_ERRORS, []).extend(
                        f"{label}: {m}" for m in forms.ValidationError(messages).messages)
            errors = forms.ValidationError(shown)
        super()._update_errors(errors)

    def clean_phone(self) -> str:
        return _clean_phone(self.cleaned_data.get("phone", ""))

    def clean_phone_alt(self) -> str:
        return _clean_phone(self.cleaned_data.get("phone_alt", ""))

    def clean_name(self) -> str:
        name = (self.cleaned_data.get("name") or "").strip()
        if not name:
            raise forms.ValidationError(_("Enter the customer's name."))
        return name

    def fieldsets(self) -> list[dict[str, Any]]:
        """The fields grouped as the four D1 blocks (plus the person and organisation parts)."""
        out = []
        for key, legend, names, kind in CUSTOMER_BLOCKS:
            fields = [self[n] for n in names if n in self.fields]
            if key == "other":
                fields += [self[n] for n in ("tags", "owner") if n in self.fields]
            out.append({"key": key, "legend": legend, "kind": kind, "fields": fields})
        return out

    def service_data(self) -> dict[str, Any]:
        """cleaned_data for customers.services (without tags and owner, which are passed apart)."""
        return {k: v for k, v in self.cleaned_data.items() if k not in ("tags", "owner")}


def _clean_phone(value: str) -> str:
    value = (value or "").strip()
    if value and not all(c.isdigit() or c in " -+()" for c in value):
        raise forms.ValidationError(_("A phone number may contain only digits, spaces, dashes, brackets and +."))
    if value and sum(c.isdigit() for c in value) < 5:
        raise forms.ValidationError(_("This phone number is too short."))
    return value


class ContactForm(forms.ModelForm):
    """A contact person of an organisation; key persons are rated on six dimensions (1–5)."""

    wide_fields = ("traits",)

    class Meta:
        model = Contact
        fields = CONTACT_FIELDS
        widgets = {"traits": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in masked_fields(user, Contact):
            self.fields.pop(name, None)

    def clean_phone(self) -> str:
        return _clean_phone(self.cleaned_data.get("phone", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        scores = [f for f, _label in KEY_PERSON_DIMENSIONS]
        if data.get("is_key_person") and any(data.get(f) is None for f in scores if f in self.fields):
            for f in scores:
                if data.get(f) is None:
                    self.add_error(f, _("Rate every dimension of a key person."))
        return data

    def score_fields(self) -> list[forms.BoundField]:
        return [self[f] for f, _label in KEY_PERSON_DIMENSIONS]

    def main_fields(self) -> list[forms.BoundField]:
        # Visible ones only: the edit page's hidden version (core.concurrency) has no place in the grid.
        scores = {f for f, _label in KEY_PERSON_DIMENSIONS}
        return [field for field in self.visible_fields() if field.name not in scores]


class FamilyMemberForm(forms.ModelForm):
    class Meta:
        model = FamilyMember
        fields = FAMILY_FIELDS

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:  # noqa: ARG002 - same signature
        super().__init__(*args, **kwargs)


class DocumentForm(forms.Form):
    file = forms.FileField(label=_("File"))
    description = forms.CharField(label=_("Description"), max_length=255, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        exts = settings.KEHU_DOCUMENT_EXTENSIONS
        self.fields["file"].widget.attrs["accept"] = ",".join(f".{e}" for e in exts)
        self.fields["file"].help_text = _("Up to %(limit)s MB. Accepted types: %(types)s.") % {
            "limit": f"{settings.KEHU_DOCUMENT_MAX_BYTES / 1048576:g}", "types": ", ".join(exts),
        }


class TransferForm(forms.Form):
    to_user = UserChoiceField(label=_("New owner"), queryset=User.objects.none())
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded with the transfer: who, when and why."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = selectors.owners_assignable(user)

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Say why the owner changes."))
        return reason


class CustomerFilterForm(forms.Form):
    """The GET form above the list (and the filters of the export)."""

    q = forms.CharField(label=_("Search"), required=False)
    kind = forms.ChoiceField(label=_("Type"), required=False, choices=[("", _("All")), *CustomerKind.choices])
    owner = UserChoiceField(label=_("Owner"), required=False, queryset=User.objects.none(), empty_label=_("All"))
    team = forms.ModelChoiceField(label=_("Team"), required=False, queryset=Team.objects.none(), empty_label=_("All"))
    tag = forms.ModelChoiceField(label=_("Tag"), required=False, queryset=Tag.objects.none(), empty_label=_("All"))
    city = forms.CharField(label=_("City"), required=False, max_length=50)
    industry = forms.CharField(label=_("Industry"), required=False, max_length=100)
    risk_preference = forms.ChoiceField(
        label=_("Risk preference"), required=False, choices=[("", _("All")), *RiskPreference.choices]
    )
    sort = forms.ChoiceField(
        label=_("Sort"), required=False,
        choices=[
            ("name", _("Name (A–Z)")), ("-name", _("Name (Z–A)")), ("city", _("City")),
            ("-created", _("Newest first")), ("created", _("Oldest first")), ("-updated", _("Recently changed")),
        ],
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = selectors.owners_assignable(user)
        self.fields["team"].queryset = (
            Team.objects.all() if user.sees_all_customers else Team.objects.filter(pk=user.team_id)
        )
        self.fields["tag"].queryset = Tag.objects.restrict(user, "view")

    def filters(self) -> dict[str, Any]:
        """Plain values for customers.selectors (ids for the choices), empty ones left out."""
        if not self.is_valid():
            return {}
        out: dict[str, Any] = {}
        for key, value in self.cleaned_data.items():
            if key == "sort" or value in (None, ""):
                continue
            out[key] = value.pk if hasattr(value, "pk") else (value.strip() if isinstance(value, str) else value)
        return {k: v for k, v in out.items() if v not in (None, "")}

    def sort_key(self) -> str:
        """A key of selectors.CUSTOMER_SORTS (the default when none or an unknown one is asked)."""
        return (self.cleaned_data.get("sort") if self.is_valid() else "") or selectors.DEFAULT_SORT


class IdsField(forms.Field):
    """Selected customer ids from the list's checkboxes (any integers; services check the scope)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        if isinstance(value, (str, int)):
            value = [value]
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(_("The selection is invalid.")) from exc

    def validate(self, value: list[int]) -> None:
        if self.required and not value:
            raise forms.ValidationError(_("Select at least one customer."), code="required")


class BulkActionForm(forms.Form):
    """The bulk bar of the list: transfer the selected customers or add a tag to them."""

    ACTIONS = [("transfer", _("Transfer owner")), ("tag", _("Add tag"))]

    action = forms.ChoiceField(choices=ACTIONS)
    ids = IdsField()
    to_user = UserChoiceField(label=_("New owner"), queryset=User.objects.none(), required=False,
                              empty_label=_("Choose a new owner…"))
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False,
                             widget=forms.TextInput(attrs={"placeholder": _("Reason (required)")}))
    tag = forms.ModelChoiceField(label=_("Tag"), queryset=Tag.objects.none(), required=False,
                                 empty_label=_("Choose a tag…"))
    # No max_length: its HTML maxlength made the browser cut a longer (pasted) tag silently; the
    # service refuses it with a message instead (customers.services.tag_name_problem).
    new_tag = forms.CharField(label=_("or a new tag"), required=False,
                              widget=forms.TextInput(attrs={"placeholder": _("or type a new tag")}))
    # Set by the confirmation page: a bulk transfer asks first, like delete, refund and merge.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = selectors.owners_assignable(user)
        self.fields["tag"].queryset = Tag.objects.restrict(user, "view")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("action") == "transfer":
            if not data.get("to_user"):
                self.add_error("to_user", _("Choose the new owner."))
            if not (data.get("reason") or "").strip():
                self.add_error("reason", _("Say why the owner changes."))
        elif data.get("action") == "tag" and not data.get("tag") and not (data.get("new_tag") or "").strip():
            self.add_error("tag", _("Choose a tag or type a new one."))
        elif data.get("action") == "tag" and not data.get("tag") and tag_name_problem(data["new_tag"]):
            self.add_error("new_tag", tag_name_problem(data["new_tag"]))
        return data
