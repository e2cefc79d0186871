"""Importers of products, costs to serve and orders with their lines, validated by the order pages'
own forms and commerce's services (order_line_build, line amounts, status transitions)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from accounts.models import User
from accounts.roles import Cap
from audit.models import ChangeAction
from audit.services import change_records_bulk
from commerce.choices import STATUS_TRANSITIONS, OrderStatus
from commerce.forms import CostForm, OrderForm, OrderLineForm, ProductForm, _staff
from commerce.models import CustomerCost, Order, OrderLine, Product, code_taken_message
from commerce.services import (
    _AUDITED_ORDER_FIELDS,
    COST_FIELDS,
    PRODUCT_FIELDS,
    _lines_summary,
    order_line_values,
    order_totals,
)
from core import db
from core.models import field_values
from dataio import values as v
from dataio.importers.base import (
    _MISSING,
    Blank,
    FormRules,
    Importer,
    ImportField,
    ModelImporter,
    batched,
    coerce,
    form_fields,
    insert_objects,
    validate_instance,
)
from dataio.importers.refs import CustomerRefs, UserRefs
from dataio.mapping import synonyms
from dataio.readers import Row


class ProductImporter(ModelImporter):
    """The product catalogue, by product code (managers and administrators)."""

    kind = "products"
    label = gettext_lazy("Products")
    description = gettext_lazy("One row per product. The product code decides between creating and updating.")
    model = Product
    key = "code"
    customer_attr = None
    audit_fields: ClassVar[list[str]] = PRODUCT_FIELDS

    @classmethod
    def permitted(cls, user: User) -> bool:
        return user.can(Cap.CATALOGUE)

    @classmethod
    def available_fields(cls, user: User) -> list[ImportField]:
        return form_fields(ProductForm(), PRODUCT_FIELDS, synonyms(cls.kind),
                           required=["name", "category", "price", "unit_cost"], key="code")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.folded_rows: dict[str, tuple[str, int]] = {}  # lower-case code → (code, row) in the file
        self.taken: dict[str, str] = {}  # lower-case code → another product's code
        self.cost_above_price: list[int] = []

    def make_form(self) -> forms.BaseForm:
        return ProductForm()

    def find(self, keys: list[str]) -> dict[str, models.Model]:
        """Products by exact code, and (one query per batch, not Product.clean()'s query per row) the
        codes that differ from a key only in case."""
        found = super().find(keys)
        folded = {k.lower() for k in keys}
        self.taken = {code.lower(): code for code in Product.objects.annotate(folded=Lower("code"))
                      .filter(folded__in=folded).exclude(code__in=keys).values_list("code", flat=True)}
        return found

    def read_key(self, row: Row) -> str | None:
        key = super().read_key(row)
        if key is None:
            return None
        first = self.folded_rows.setdefault(key.lower(), (key, row.number))
        if first[0] != key:
            self.error(row, self.key, _("“%(key)s” differs only in case from “%(first)s” in row %(row)s: product "
                                        "codes are the same whatever the case.")
                       % {"key": key, "first": first[0], "row": first[1]})
            return None
        return key

    def check_existing(self, row: Row, obj: models.Model) -> bool:
        if obj.deleted_at is not None:
            self.report.skip += 1
            self.report.note(_("Rows of deleted products are skipped."))
            return False
        return True

    def process_row(self, row: Row, key: str, obj: models.Model | None) -> None:
        other = self.taken.get(key.lower()) if obj is None else None
        if other is not None:
            self.error(row, self.key, code_taken_message(other))
            return
        super().process_row(row, key, obj)

    def validate(self, row: Row, obj: models.Model, names: set[str]) -> bool:
        obj.code_checked = True  # by read_key, for the whole batch at once
        ok = super().validate(row, obj, names)
        if ok and obj.warnings:
            self.cost_above_price.append(row.number)
        return ok

    def finish(self, *, apply: bool) -> None:
        rows = self.cost_above_price
        if rows:
            shown = ", ".join(str(n) for n in rows[:10]) + (" …" if len(rows) > 10 else "")
            self.report.note(ngettext(
                "Warning: the unit cost is above the list price in %(count)d row (row %(rows)s). This is allowed, "
                "but every sale of this product loses money.",
                "Warning: the unit cost is above the list price in %(count)d rows (rows %(rows)s). This is allowed, "
                "but every sale of these products loses money.", len(rows)) % {"count": len(rows), "rows": shown})


class CustomerRecordRows:
    """What the importers of a customer's records (costs, interactions, holdings, policies …) do with a
    row alike: an existing record is updated when the user may change it (`changeable`), a deleted one
    is skipped with `deleted_skipped`, any other is an error; a new record gets the row's customer and
    the importing user as its creator. Put it before the importer's base class."""

    deleted_skipped: Any = gettext_lazy("Rows of deleted records are skipped.")

    def check_existing(self, row: Row, obj: models.Model) -> bool:
        if obj.pk in self.changeable:  # type: ignore[attr-defined]
            return True
        if obj.deleted_at is not None:  # type: ignore[attr-defined]
            self.report.skip += 1  # type: ignore[attr-defined]
            self.report.note(self.deleted_skipped)  # type: ignore[attr-defined]
        else:
            self.error(row, self.key, _("This record exists but you may not change it."))  # type: ignore[attr-defined]
        return False

    def customer_of_row(self, row: Row, data: dict[str, Any], obj: models.Model | None) -> int | None:
        """The row's customer (`resolve_customer`); set with the creator on a new record. None after errors."""
        customer_id = resolve_customer(self, row, obj)  # type: ignore[arg-type]
        if customer_id is not None and obj is None:
            data["customer_id"] = customer_id
            data["created_by_id"] = self.user.pk  # type: ignore[attr-defined]
        return customer_id


class CostImporter(CustomerRecordRows, ModelImporter):
    """Costs to serve, by the cost's external ID; the customer by its external ID (or exact name)."""

    deleted_skipped = gettext_lazy("Rows of deleted costs are skipped.")

    kind = "costs"
    label = gettext_lazy("Costs to serve")
    description = gettext_lazy(
        "One row per cost. The customer column holds the customer's external ID (or its exact name); the "
        "order column, optional, an order number of the same customer."
    )
    model = CustomerCost
    audit_fields: ClassVar[list[str]] = COST_FIELDS
    special = frozenset({"customer", "order"})

    @classmethod
    def permitted(cls, user: User) -> bool:
        return user.can(Cap.CHANGE)

    @classmethod
    def available_fields(cls, user: User) -> list[ImportField]:
        names = synonyms(cls.kind)
        form = CostForm(orders=Order.objects.none())
        fields = form_fields(form, COST_FIELDS, names, required=["kind", "incurred_on", "amount"], key="external_id")
        fields.insert(1, ImportField("customer", gettext_lazy("Customer"), kind="ref", required=True,
                                     synonyms=names["customer"],
                                     help=gettext_lazy("The customer's external ID, or its exact name.")))
        return fields

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.customers = CustomerRefs(self.user)
        self.changeable: set[int] = set()
        self.orders: dict[str, tuple[int, int]] = {}

    def make_form(self) -> forms.BaseForm:
        return CostForm(orders=Order.objects.none())

    def find(self, keys: list[str]) -> dict[str, models.Model]:
        found = {c.external_id: c for c in CustomerCost.objects.filter(external_id__in=keys)}
        self.changeable = set(CustomerCost.objects.restrict(self.user, "change")
                              .filter(pk__in=[c.pk for c in found.values()]).values_list("pk", flat=True))
        return found

    def prepare_batch(self, rows: list[Row]) -> None:
        self.customers.resolve({v.text(self.cell(r, "customer")) for r in rows})
        if "order" in self.mapping:
            refs = {v.text(self.cell(r, "order")) for r in rows} - {""} - set(self.orders)
            for pk, ext, customer_id in Order.objects.restrict(self.user, "change").filter(
                external_id__in=refs
            ).values_list("pk", "external_id", "customer_id"):
                self.orders[ext] = (pk, customer_id)

    def clean_special(self, row: Row, data: dict[str, Any], obj: models.Model | None) -> dict[str, Any] | None:
        customer_id = self.customer_of_row(row, data, obj)
        if customer_id is None:
            return None
        ref = v.text(self.cell(row, "order"))
        if ref:
            found = self.orders.get(ref)
            if found is None or found[1] != customer_id:
                self.error(row, "order", _("The order must belong to the same customer."))
                return None
            data["order_id"] = found[0]
        return {}


def resolve_customer(importer: ModelImporter, row: Row, obj: models.Model | None) -> int | None:
    """The row's customer id (reporting why not), which must be the existing record's customer."""
    ref = v.text(importer.cell(row, "customer"))
    if not ref:
        if obj is not None:
            return obj.customer_id
        importer.error(row, "customer", importer.rules.required_message("customer"))
        return None
    customer_id, problem = importer.customers.get(ref)
    if customer_id is None:
        importer.error(row, "customer", problem)
        return None
    if obj is not None and obj.customer_id != customer_id:
        importer.error(row, "customer", _("This record belongs to another customer; an import does not move it."))
        return None
    return customer_id


# --- orders ------------------------------------------------------------------------------------------

# Lines as the database stores them (2 = 2.000), so that an unchanged file compares equal.
_LINE_PLACES = {name: Decimal(1).scaleb(-OrderLine._meta.get_field(name).decimal_places)
                for name in ("quantity", "unit_price", "discount")}
# The line's columns the model checks (what full_clean() checks in order_line_build).
_LINE_CHECKED = {"position", "quantity", "unit_price", "discount", "unit_cost", "revenue", "cost", "margin"}
_INVALID = object()
HEAD_FIELDS = ["ordered_at", "channel", "region", "location", "currency", "note"]
STATUS_ALIASES = {
    OrderStatus.PLACED: ("已下单", "下单", "待付款", "未付款", "new", "open", "pending"),
    OrderStatus.PAID: ("已付款", "已支付", "付款", "完成", "已完成", "成交", "completed", "complete", "done"),
    OrderStatus.CANCELLED: ("已取消", "取消", "作废", "canceled", "void"),
    OrderStatus.REFUNDED: ("已退款", "退款", "退货", "returned"),
}


class OrderImporter(Importer):
    """Orders with their lines: one row per line, the lines of an order share its order number
    (they need not be next to each other). The order's own columns are read from its first row; other
    rows may repeat them or leave them empty."""

    kind = "orders"
    label = gettext_lazy("Orders")
    description = gettext_lazy(
        "One row per order line; the rows of one order share its order number. The customer column holds "
        "the customer's external ID (or its exact name), the product column the product code. Importing "
        "the file again updates orders whose details or lines changed; paid, cancelled and refunded orders "
        "keep their lines."
    )
    batch_size = 5000
    orders_per_batch = 1000

    @classmethod
    def permitted(cls, user: User) -> bool:
        return user.can(Cap.CHANGE)

    def bulk_models(self) -> list[type[models.Model]]:
        return [Order, OrderLine]

    @classmethod
    def available_fields(cls, user: User) -> list[ImportField]:
        names = synonyms(cls.kind)
        head = form_fields(OrderForm(user=user, creating=True), HEAD_FIELDS, names, required=["ordered_at"])
        line = form_fields(OrderLineForm(), ["quantity", "unit_price"], names, required=["quantity"])
        status_choices = {v.normal_key(str(val)): val for val in OrderStatus.values}
        status_choices.update(v.choice_lookup(OrderStatus.choices))
        for value, spellings in STATUS_ALIASES.items():
            status_choices.update({v.normal_key(s): value for s in spellings})
        return [
            ImportField("external_id", gettext_lazy("Order number"), key=True, synonyms=names["external_id"],
                        help=gettext_lazy("The rows of one order share it.")),
            ImportField("customer", gettext_lazy("Customer"), kind="ref", required=True, synonyms=names["customer"],
                        help=gettext_lazy("The customer's external ID, or its exact name.")),
            *head[:1],
            ImportField("status", pgettext_lazy("order", "Status"), kind="choice", synonyms=names["status"],
                        choices=status_choices, help=gettext_lazy("Empty: placed.")),
            *head[1:],
            ImportField("salesperson", gettext_lazy("Salesperson"), kind="ref", synonyms=names["salesperson"],
                        help=gettext_lazy("Username or full name. Empty: you.")),
            ImportField("product", gettext_lazy("Product code"), kind="ref", required=True, synonyms=names["product"]),
            *line,
            ImportField("discount", gettext_lazy("Discount"), kind="percent", synonyms=names["discount"],
                        help=gettext_lazy("A fraction such as 0.1, or a percentage such as 10 (a number above 1 is "
                                              "read as percent).")),
        ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.head_rules = FormRules(OrderForm(user=self.user, creating=True))
        self.line_rules = FormRules(OrderLineForm())
        self.groups: dict[str, list[Row]] = {}
        self.customers = CustomerRefs(self.user)
        self.people = UserRefs(_staff(self.user)) if "salesperson" in self.mapping else None
        self.products = {p.code: p for p in Product.objects.filter(deleted_at__isnull=True)}
        self.new_order = Blank(Order, self.now)
        self.new_line = Blank(OrderLine, self.now)
        self._cleaned: dict[str, dict[Any, Any]] = {}
        self._lines: dict[tuple[Any, ...], Any] = {}  # line values by what determines them
        self.order_fields = {f.name for f in Order._meta.concrete_fields}

    # Rows are only gathered here: an order is complete once the whole file was read.
    def process(self, batch: list[Row], *, apply: bool) -> None:
        for row in batch:
            key = v.text(self.cell(row, "external_id"))
            if not key:
                self.error(row, "external_id", _("Give every row an order number: the rows of one order share it."))
                continue
            self.groups.setdefault(key, []).append(row)

    def finish(self, *, apply: bool) -> None:
        keys = list(self.groups)
        for chunk in batched(keys, self.orders_per_batch):
            self.process_orders(chunk, apply=apply)
        self.groups = {}

    # --- one batch of orders ------------------------------------------------------------------------

    def clean_value(self, rules: FormRules, f: ImportField, raw: Any) -> Any:
        value = coerce(f, raw)
        if f.name not in rules:
            return value
        cache = self._cleaned.setdefault(f.name, {})
        hit = cache.get(value, _MISSING)
        if hit is _MISSING:
            try:
                hit = rules.field(f.name, value)
            except ValidationError as exc:
                hit = exc
            if len(cache) < 20_000:
                cache[value] = hit
        if isinstance(hit, ValidationError):
            raise hit
        return hit

    def process_orders(self, keys: list[str], *, apply: bool) -> None:
        existing = {o.external_id: o for o in Order.objects.filter(external_id__in=keys)}
        changeable = set(Order.objects.restrict(self.user, "change").filter(
            pk__in=[o.pk for o in existing.values()]).values_list("pk", flat=True))
        old_lines: dict[int, list[OrderLine]] = {}
        if existing:
            for line in OrderLine.objects.filter(order_id__in=[o.pk for o in existing.values()]).select_related(
                "product"
            ).order_by("order_id", "position", "id"):
                old_lines.setdefault(line.order_id, []).append(line)
        self.customers.resolve({v.text(self.cell(rows[0], "customer")) for rows in
                                (self.groups[k] for k in keys)})
        creates: list[tuple[Order, list[OrderLine]]] = []
        updates: list[tuple[Order, list[OrderLine] | None, dict[str, Any]]] = []
        for key in keys:
            rows = self.groups[key]
            obj = existing.get(key)
            if obj is not None:
                if obj.deleted_at is not None:
                    self.report.skip += 1
                    self.report.note(_("Rows of deleted orders are skipped."))
                    continue
                if obj.pk not in changeable:
                    self.error(rows[0], "external_id", _("This order exists but you may not change it."))
                    continue
            result = self.order_from_rows(key, rows, obj, old_lines.get(obj.pk, []) if obj else [])
            if result is None:
                continue
            order, lines, changes = result
            if obj is None:
                creates.append((order, lines))
                self.report.create += 1
            elif changes:
                updates.append((order, lines, changes))
                self.report.update += 1
            else:
                self.report.unchanged += 1
        if apply:
            self.write(creates, updates)

    def head_value(self, rows: list[Row], name: str) -> tuple[Any, Row] | None:
        """The first non-empty cell of the order's rows for `name`; other rows must agree."""
        if len(rows) == 1:
            return (self.cell(rows[0], name), rows[0])
        found = None
        for row in rows:
            raw = self.cell(row, name)
            if v.is_empty(raw):
                continue
            if found is None:
                found = (raw, row)
            elif v.text(raw) != v.text(found[0]):
                self.error(row, name, _("The rows of one order disagree on this column (row %(row)s says “%(value)s”).")
                           % {"row": found[1].number, "value": v.text(found[0])})
                return None
        return found or ("", rows[0])

    def order_from_rows(
        self, key: str, rows: list[Row], obj: Order | None, old: list[OrderLine]
    ) -> tuple[Order, list[OrderLine] | None, dict[str, Any]] | None:
        ok = True
        head: dict[str, Any] = {}
        for name in ("customer", "status", "salesperson", *HEAD_FIELDS):
            if name not in self.mapping:
                continue
            found = self.head_value(rows, name)
            if found is None:
                ok = False
                continue
            raw, row = found
            f = self.fields[name]
            if v.is_empty(raw):
                if obj is None and f.required:
                    self.error(row, name, self.head_rules.required_message(name))
                    ok = False
                continue
            if name == "customer":
                customer_id, problem = self.customers.get(v.text(raw))
                if customer_id is None:
                    self.error(row, name, problem)
                    ok = False
                elif obj is not None and obj.customer_id != customer_id:
                    self.error(row, name, _("This order belongs to another customer; an import does not move it."))
                    ok = False
                head["customer_id"] = customer_id
            elif name == "salesperson":
                person, problem = self.people.get(v.text(raw))
                if person is None:
                    self.error(row, name, problem)
                    ok = False
                else:
                    head["salesperson_id"] = person.pk
            elif name == "status":
                value = coerce(f, raw)
                if value not in OrderStatus.values:
                    self.error(row, name, _("Unknown status “%(value)s”.") % {"value": v.text(raw)})
                    ok = False
                head["status"] = value
            else:
                try:
                    head[name] = self.clean_value(self.head_rules, f, raw)
                except ValidationError as exc:
                    for message in exc.messages:
                        self.error(row, name, message)
                    ok = False
        if not ok:
            return None
        if obj is None:
            order = self.new_order(external_id=key, salesperson_id=self.user.pk, status=OrderStatus.PLACED)
        else:
            order = obj
        before = field_values(order, _AUDITED_ORDER_FIELDS) if obj is not None else None
        old_values = {n: getattr(order, n) for n in _AUDITED_ORDER_FIELDS} if obj is not None else {}
        new_status = head.pop("status", None)
        for name, value in head.items():
            setattr(order, name, value)
        lines = self.lines_from_rows(order, rows, new_status or order.status, old)
        if lines is None:
            return None
        changes: dict[str, Any] = {}
        if obj is None:
            order.status = new_status or OrderStatus.PLACED
            if order.status != OrderStatus.PLACED:
                # The best date an import knows for the payment, cancellation or refund.
                order.status_changed_at = order.ordered_at
            self.set_totals(order, lines)
        else:
            was = OrderStatus(obj.status)
            if new_status and new_status != was:
                if new_status not in STATUS_TRANSITIONS[was]:
                    self.error(rows[0], "status", _("A %(from)s order cannot become %(to)s.") % {
                        "from": was.label.lower(), "to": OrderStatus(new_status).label.lower()})
                    return None
                order.status = new_status
                order.status_changed_at = self.now
            old_summary, new_summary = _lines_summary(old), _lines_summary(lines)
            if old_summary == new_summary:
                lines = None
            elif was != OrderStatus.PLACED:
                self.error(rows[0], "product", _("Only the lines of a placed order can change; this order is "
                                                 "%(status)s.") % {"status": was.label.lower()})
                return None
            else:
                changes["lines"] = [old_summary, new_summary]
                self.set_totals(order, lines)
            after = field_values(order, _AUDITED_ORDER_FIELDS)
            # Compared as values (the same instant in another time zone is no change).
            changes = {**{k: [before[k], after[k]] for k in after if old_values[k] != getattr(order, k)}, **changes}
        if not self.validate(rows[0], order, {*head, "revenue", "cost", "margin", "external_id"}):
            return None
        return order, lines, changes

    @staticmethod
    def set_totals(order: Order, lines: list[OrderLine]) -> None:
        totals = order_totals(lines)
        order.revenue, order.cost, order.margin = totals.revenue, totals.cost, totals.margin

    def lines_from_rows(
        self, order: Order, rows: list[Row], status: str, old: list[OrderLine]
    ) -> list[OrderLine] | None:
        """The order's lines through the line form's fields and commerce's order_line_build()."""
        out = []
        ok = True
        # History may name products no longer sold; a placed (live) order may not, like on the pages.
        history = status != OrderStatus.PLACED
        allowed = {line.product_id for line in old}
        for position, row in enumerate(rows, start=1):
            code = v.text(self.cell(row, "product"))
            product = self.products.get(code)
            if product is None:
                self.error(row, "product", _("No product has the code “%(code)s”.") % {"code": code} if code
                           else self.line_rules.required_message("product"))
                ok = False
                continue
            line: dict[str, Any] = {}
            for name in ("quantity", "unit_price"):
                raw = self.cell(row, name)
                if v.is_empty(raw):
                    if self.fields.get(name) and self.fields[name].required:
                        self.error(row, name, self.line_rules.required_message(name))
                        ok = False
                    continue
                try:
                    line[name] = self.clean_value(self.line_rules, self.fields[name], raw)
                except ValidationError as exc:
                    for message in exc.messages:
                        self.error(row, name, message)
                    ok = False
            discount = self.discount(row)
            if discount is None:
                ok = False
                continue
            line["discount"] = discount
            if not ok:
                continue
            built = self.build_line(order, product, position, line, history or product.pk in allowed, row)
            if built is None:
                ok = False
                continue
            out.append(built)
        return out if ok else None

    def discount(self, row: Row) -> Decimal | None:
        raw = self.cell(row, "discount")
        if v.is_empty(raw):
            return Decimal(0)
        text = v.to_decimal(raw, percent=True)
        try:
            value = Decimal(str(text))
        except ArithmeticError:
            self.error(row, "discount", _("Enter a number."))
            return None
        if value > 1 and not v.text(raw).endswith(("%", "％")):
            value = value / 100
        return value

    def build_line(self, order: Order, product: Product, position: int, line: dict[str, Any],
                   inactive_ok: bool, row: Row) -> OrderLine | None:
        """A line through commerce.services.order_line_values and the model's field rules, once per
        distinct line (identical lines price and validate alike); later ones reuse the checked values."""
        key = (product.pk, order.currency, line.get("quantity"), line.get("unit_price"), line["discount"],
               inactive_ok)
        hit = self._lines.get(key)
        if hit is None:
            hit = self._check_line(order, product, line, inactive_ok, row)
            if len(self._lines) < 200_000:
                self._lines[key] = hit
        if hit is _INVALID:
            self._line_errors(order, product, position, line, inactive_ok, row)
            return None
        return self.new_line(position=position, **hit)

    def _check_line(self, order: Order, product: Product, line: dict[str, Any], inactive_ok: bool,
                    row: Row) -> dict[str, Any] | object:
        try:
            found = order_line_values(order_currency=order.currency, product=product, position=1, line=line,
                                      allowed_inactive={product.pk} if inactive_ok else set())
        except ValidationError:
            return _INVALID
        q = _LINE_PLACES
        values = {
            "product_id": product.pk, "quantity": found["quantity"].quantize(q["quantity"]),
            "unit_price": found["unit_price"].quantize(q["unit_price"]),
            "discount": found["discount"].quantize(q["discount"]), "unit_cost": found["unit_cost"],
            "revenue": found["revenue"], "cost": found["cost"], "margin": found["margin"],
        }
        obj = self.new_line(position=1, **values)
        if not self.validate(row, obj, _LINE_CHECKED):
            return _INVALID
        return {name: getattr(obj, name) for name in values}

    def _line_errors(self, order: Order, product: Product, position: int, line: dict[str, Any],
                     inactive_ok: bool, row: Row) -> None:
        """Report why a line is invalid, at its real position ("Line 3: …")."""
        try:
            found = order_line_values(order_currency=order.currency, product=product, position=position, line=line,
                                      allowed_inactive={product.pk} if inactive_ok else set())
        except ValidationError as exc:
            for messages in exc.message_dict.values():
                for message in messages:
                    self.error(row, "product", message)
            return
        obj = self.new_line(position=position, product_id=product.pk,
                            **{k: found[k] for k in ("quantity", "unit_price", "discount", "unit_cost", "revenue",
                                                     "cost", "margin")})
        self.validate(row, obj, _LINE_CHECKED)

    def validate(self, row: Row, obj: models.Model, names: set[str]) -> bool:
        return validate_instance(self, row, obj, names)

    @property
    def _validated(self) -> dict[str, dict[Any, Any]]:
        if not hasattr(self, "_validated_cache"):
            self._validated_cache: dict[str, dict[Any, Any]] = {}
        return self._validated_cache

    # --- writing --------------------------------------------------------------------------------------

    def write(self, creates: list[tuple[Order, list[OrderLine]]],
              updates: list[tuple[Order, list[OrderLine] | None, dict[str, Any]]]) -> None:
        if creates:
            orders = [o for o, _lines in creates]
            insert_objects(Order, orders, now=self.now)
            self.insert_lines([(o, lines) for o, lines in creates])
            products = {p.pk: p for p in self.products.values()}
            summaries = {}
            for o, lines in creates:
                for line in lines:
                    line.product = products[line.product_id]
                summaries[id(o)] = _lines_summary(lines)

            def created(o: Order) -> dict[str, Any]:
                after = {k: val for k, val in field_values(o, _AUDITED_ORDER_FIELDS).items() if val not in (None, "")}
                return {**{k: [None, val] for k, val in after.items()}, "lines": [None, summaries[id(o)]]}

            change_records_bulk(user=self.user, instances=orders, action=ChangeAction.CREATE,
                                customer_attr="customer_id", note=self.note, changes=created)
        if updates:
            for o, _lines, _changes in updates:
                o.updated_at = self.now
            Order.objects.bulk_update([o for o, _l, _c in updates],
                                      [*(f for f in _AUDITED_ORDER_FIELDS if f in self.order_fields),
                                       "status_changed_at", "updated_at"], batch_size=500)
            relined = [(o, lines) for o, lines, _c in updates if lines is not None]
            if relined:
                OrderLine.objects.filter(order_id__in=[o.pk for o, _l in relined]).delete()
                self.insert_lines(relined)
            changes = {id(o): c for o, _l, c in updates}
            change_records_bulk(user=self.user, instances=[o for o, _l, _c in updates], action=ChangeAction.UPDATE,
                                customer_attr="customer_id", note=self.note, changes=lambda o: changes[id(o)])

    def insert_lines(self, orders: list[tuple[Order, list[OrderLine]]]) -> None:
        names = [f.attname for f in OrderLine._meta.concrete_fields if f.attname != "id"]
        rows = []
        for order, lines in orders:
            for line in lines:
                line.order_id = order.pk
                rows.append([getattr(line, n) for n in names])
        db.insert_rows(OrderLine, names, rows)
