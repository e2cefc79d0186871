"""Forms of the order, product and cost pages. They validate only; the views hand
`service_data()` to commerce.services, which do every write."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import User
from commerce import selectors
from commerce.choices import CURRENCIES, DEFAULT_CURRENCY, CostKind, OrderStatus, SalesChannel
from commerce.models import UNIT_PRICE_PLACES, CustomerCost, Order, Product
from commerce.services import COST_FIELDS, PRODUCT_FIELDS
from core.concurrency import VersionedFormMixin
from core.decimals import DecimalFormField, PriceInput, price_text

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj} · {obj.team.name}" if obj.team_id and obj.team else str(obj)


def _staff(user: User) -> Any:
    """Users who may be named as salesperson: active users of the user's team (all for those who
    see every customer)."""
    qs = User.objects.filter(is_active=True).select_related("team").order_by("team__name", "username")
    if not user.sees_all_customers:
        qs = qs.filter(team_id=user.team_id) if user.team_id else qs.filter(pk=user.pk)
    return qs


class OrderForm(VersionedFormMixin, forms.ModelForm):
    """The order's head: date, channel, where, who, currency, note. Status is set separately
    (placed or paid when created). An edit carries the order's version (core.concurrency)."""

    status = forms.ChoiceField(
        label=_("Status"), choices=[(OrderStatus.PLACED, OrderStatus.PLACED.label),
                                    (OrderStatus.PAID, OrderStatus.PAID.label)],
        initial=OrderStatus.PLACED,
    )
    salesperson = UserChoiceField(label=_("Salesperson"), queryset=User.objects.none(), required=False)

    class Meta:
        model = Order
        fields = ["ordered_at", "status", "channel", "region", "location", "salesperson", "currency",
                  "external_id", "note"]
        widgets = {"ordered_at": _DATETIME, "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, user: User, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["salesperson"].queryset = _staff(user)
        self.fields["ordered_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
        if not creating:
            del self.fields["status"]

    def clean_external_id(self) -> str | None:
        return (self.cleaned_data.get("external_id") or "").strip() or None

    def clean_ordered_at(self) -> datetime | None:
        value = self.cleaned_data.get("ordered_at")
        before = self.initial.get("ordered_at")
        # The field shows the date to the minute: the same minute posted back is the stored moment
        # (with its seconds), not a change of the date that the audit trail would record.
        if isinstance(value, datetime) and isinstance(before, datetime) and \
                value == before.replace(second=0, microsecond=0):
            return before
        return value

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "status"}


class ProductChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Product) -> str:
        return f"{obj.category} · {obj.name} ({price_text(obj.price)} {obj.currency})"


class OrderLineForm(forms.Form):
    """One line: product, quantity, unit price (empty: the list price), discount in percent."""

    product = ProductChoiceField(label=_("Product"), queryset=Product.objects.none())
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=14, decimal_places=3, min_value=Decimal("0.001"),
                                  initial=1, widget=forms.NumberInput(attrs={"step": "any", "min": "0"}))
    unit_price = DecimalFormField(
        label=_("Unit price"), max_digits=18, decimal_places=UNIT_PRICE_PLACES, min_value=0, required=False,
        help_text=_("Empty: the list price."), widget=PriceInput(),
    )
    discount_percent = forms.DecimalField(
        label=_("Discount %"), max_digits=6, decimal_places=2, min_value=0, max_value=100, required=False,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "100"}),
    )

    def __init__(self, *args: Any, products: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if products is not None:
            self.fields["product"].queryset = products

    def has_changed(self) -> bool:
        # A row without a product is an unused row (its quantity shows the initial 1), not an error.
        return bool(self.data.get(self.add_prefix("product"))) and super().has_changed()

    def line(self) -> dict[str, Any]:
        """The line as commerce.services expects it (discount as a fraction)."""
        data = self.cleaned_data
        pct = data.get("discount_percent") or Decimal(0)
        return {"product": data["product"], "quantity": data["quantity"], "unit_price": data.get("unit_price"),
                "discount": pct / Decimal(100)}


class BaseOrderLineFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, products: Any = None, **kwargs: Any) -> None:
        self.products = products
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "products": self.products}

    @property
    def empty_form(self) -> forms.Form:
        form = self.form(auto_id=self.auto_id, prefix=self.add_prefix("__prefix__"), empty_permitted=True,
                         use_required_attribute=False, products=self.products, renderer=self.renderer)
        self.add_fields(form, None)
        return form

    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.lines():
            raise forms.ValidationError(_("An order needs at least one line."))

    def lines(self) -> list[dict[str, Any]]:
        # Unused extra rows were not validated (no cleaned_data); existing rows count unless removed.
        return [
            f.line() for f in self.forms
            if getattr(f, "cleaned_data", None) and f.cleaned_data.get("product") and not f.cleaned_data.get("DELETE")
        ]


OrderLineFormSet = forms.formset_factory(OrderLineForm, formset=BaseOrderLineFormSet, extra=3, can_delete=True)


def line_initial(order: Order) -> list[dict[str, Any]]:
    """The existing lines as formset initial data."""
    return [
        {"product": line.product_id, "quantity": line.quantity, "unit_price": line.unit_price,
         "discount_percent": line.discount_percent if line.discount else None}
        for line in order.line_list
    ]


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=OrderStatus.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class OrderFilterForm(forms.Form):
    """The GET form above the order list."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"placeholder": _("Customer or order number")}))
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *OrderStatus.choices])
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("All")), *SalesChannel.choices])
    salesperson = UserChoiceField(label=_("Salesperson"), required=False, queryset=User.objects.none(),
                                  empty_label=_("All"))
    product = ProductChoiceField(label=_("Product"), required=False, queryset=Product.objects.none(),
                                 empty_label=_("All"))
    date_from = forms.DateField(label=pgettext_lazy("date range", "From"), required=False, widget=_DATE)
    date_to = forms.DateField(label=pgettext_lazy("date range", "To"), required=False, widget=_DATE)
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=[
        ("-date", _("Newest first")), ("date", _("Oldest first")), ("-revenue", _("Highest revenue")),
        ("-margin", _("Highest margin")),
    ])

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["salesperson"].queryset = _staff(user)
        self.fields["product"].queryset = selectors.products_visible(user)

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        out: dict[str, Any] = {}
        for key, value in self.cleaned_data.items():
            if key == "sort" or value in (None, ""):
                continue
            out[key] = value.pk if hasattr(value, "pk") else (value.strip() if isinstance(value, str) else value)
        return out

    def sort_key(self) -> str:
        return (self.cleaned_data.get("sort") if self.is_valid() else "") or selectors.DEFAULT_ORDER_SORT


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = PRODUCT_FIELDS
        widgets = {
            "price": PriceInput(),
            "unit_cost": PriceInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_external_id(self) -> str | None:
        return (self.cleaned_data.get("external_id") or "").strip() or None


class ProductFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    category = forms.ChoiceField(label=_("Category"), required=False)
    active = forms.ChoiceField(label=_("Active"), required=False,
                               choices=[("", _("All")), ("1", _("Active")), ("0", _("Inactive"))])

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All"))] + [(c, c) for c in selectors.product_categories(user)]

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        out: dict[str, Any] = {"q": data.get("q") or "", "category": data.get("category") or ""}
        if data.get("active") in ("0", "1"):
            out["active"] = data["active"] == "1"
        return out


class OrderRefField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Order) -> str:
        return f"{obj.number} · {obj.ordered_at:%Y-%m-%d} · {obj.revenue:,.2f} {obj.currency}"


class CostForm(forms.ModelForm):
    order = OrderRefField(label=pgettext_lazy("sales order", "Order"), queryset=Order.objects.none(), required=False,
                          help_text=_("Optional: the order this cost belongs to."))

    class Meta:
        model = CustomerCost
        fields = COST_FIELDS
        widgets = {
            "incurred_on": _DATE,
            "amount": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
        }

    def __init__(self, *args: Any, orders: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["order"].queryset = orders
        self.fields["kind"].initial = CostKind.SERVICE
        self.fields["currency"].initial = DEFAULT_CURRENCY
        self.fields["currency"].choices = CURRENCIES

    def clean_external_id(self) -> str | None:
        return (self.cleaned_data.get("external_id") or "").strip() or None
