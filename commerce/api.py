"""The commerce part of the REST API: products (shared catalogue), orders with lines, costs to serve.

Same rules as the pages: reads through commerce.selectors (scoped through the customer), writes
through commerce.services (permission, validation, audit with source "api"). A record outside the
caller's scope is a 404; one the caller sees but may not change is a 403. Amounts are decimals
(JSON strings); revenue, cost and margin are computed from the lines and cannot be set.
"""


from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from pydantic import PlainSerializer, WithJsonSchema

from accounts.models import User
from commerce import selectors, services
from commerce.choices import CostKind, OrderStatus, SalesChannel
from commerce.models import UNIT_PRICE_PLACES, CustomerCost, Order, Product
from core import concurrency
from core.api import (
    DECIMAL_TEXT_PATTERN,
    ERROR_RESPONSES,
    ApiValidationError,
    DecimalIn,
    DecimalText,
    InSchema,
    cursor_page_schema,
    cursor_unsign,
)
from core.decimals import price_text
from customers.records.api import RecordApi, ensure_customer_in_body, page_out

router = Router()

Money = Annotated[Decimal, DecimalIn(max_digits=16, decimal_places=2, ge=0)]
# Prices and costs per unit: four decimals (amounts stay at two), trailing zeros taken (9.7700).
UnitPrice = Annotated[Decimal, DecimalIn(max_digits=18, decimal_places=UNIT_PRICE_PLACES, ge=0)]
# …and written back with two decimals, or the up to four they have: "9.77", "0.035", "1200.00".
UnitPriceOut = Annotated[
    Decimal,
    PlainSerializer(lambda d: price_text(d, grouped=False), return_type=str),
    WithJsonSchema({"type": "string", "pattern": DECIMAL_TEXT_PATTERN, "examples": ["9.77", "0.035"]},
                   mode="serialization"),
]
Currency = Annotated[str, Field(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$")]
ChannelChoice = Literal[("", *SalesChannel.values)]  # type: ignore[valid-type]
CostKindChoice = Literal[tuple(CostKind.values)]  # type: ignore[valid-type]
StatusChoice = Literal[tuple(OrderStatus.values)]  # type: ignore[valid-type]


def _str(max_length: int, min_length: int = 0) -> Any:
    return Annotated[str, Field(max_length=max_length, min_length=min_length)]


def _user(request: HttpRequest) -> User:
    return request.auth  # type: ignore[attr-defined,no-any-return]


def _external(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("external_id") == "":
        data["external_id"] = None  # unique when set; "" would collide
    return data


# --- Products ------------------------------------------------------------------------------------

class ProductIn(InSchema):
    code: _str(40, 1)  # type: ignore[valid-type]
    name: _str(200, 1)  # type: ignore[valid-type]
    category: _str(60, 1)  # type: ignore[valid-type]
    price: UnitPrice
    unit_cost: UnitPrice
    currency: Currency = "CNY"
    unit: _str(20) = ""  # type: ignore[valid-type]
    active: bool = True
    description: _str(10_000) = ""  # type: ignore[valid-type]
    external_id: _str(64) | None = None  # type: ignore[valid-type]


class ProductPatchIn(InSchema):
    code: _str(40, 1) | None = None  # type: ignore[valid-type]
    name: _str(200, 1) | None = None  # type: ignore[valid-type]
    category: _str(60, 1) | None = None  # type: ignore[valid-type]
    price: UnitPrice | None = None
    unit_cost: UnitPrice | None = None
    currency: Currency | None = None
    unit: _str(20) | None = None  # type: ignore[valid-type]
    active: bool | None = None
    description: _str(10_000) | None = None  # type: ignore[valid-type]
    external_id: _str(64) | None = None  # type: ignore[valid-type]


class ProductOut(Schema):
    id: int
    code: str
    name: str
    category: str
    price: UnitPriceOut
    unit_cost: UnitPriceOut
    currency: str
    unit: str
    active: bool
    description: str
    external_id: str | None
    created_at: datetime
    updated_at: datetime
    warnings: list[str] = Field(description="Allowed but probably a mistake, e.g. a unit cost above the price.")


ProductPage = cursor_page_schema(ProductOut, "ProductPage")


class ProductFilters(Schema):
    category: _str(60) | None = None  # type: ignore[valid-type]
    active: bool | None = None
    q: _str(100) | None = Field(None, description="Name contains, or code starts with.")  # type: ignore[valid-type]
    cursor: _str(1000) | None = None  # type: ignore[valid-type]
    limit: Annotated[int, Field(ge=1, le=500)] = 100


@router.get("/products", response={200: ProductPage, **ERROR_RESPONSES}, tags=["products"],
            summary="List the product catalogue")
def product_list(request: HttpRequest, filters: Query[ProductFilters]) -> dict[str, Any]:
    values = filters.model_dump()
    cursor = cursor_unsign(values.pop("cursor"), "products")
    size = values.pop("limit")
    try:
        page = selectors.product_list(user=_user(request), filters=values, cursor=cursor, size=size)
    except ValidationError as exc:
        raise ApiValidationError.field(["query", "cursor"], str(exc.messages[0]), "invalid_cursor") from exc
    return page_out(page, "products")


@router.post("/products", response={201: ProductOut, **ERROR_RESPONSES}, tags=["products"],
             summary="Add a product (managers and administrators)")
def product_create(request: HttpRequest, payload: ProductIn) -> Status[Product]:
    return Status(201, services.product_create(actor=_user(request), data=_external(payload.model_dump())))


@router.get("/products/{int:product_id}", response={200: ProductOut, **ERROR_RESPONSES}, tags=["products"],
            summary="Read a product")
def product_detail(request: HttpRequest, product_id: int) -> Product:
    return selectors.products_visible(_user(request)).get(pk=product_id)


@router.patch("/products/{int:product_id}", response={200: ProductOut, **ERROR_RESPONSES}, tags=["products"],
              summary="Change a product (managers and administrators)")
def product_update(request: HttpRequest, product_id: int, payload: ProductPatchIn) -> Product:
    user = _user(request)
    selectors.products_visible(user).get(pk=product_id)
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None or k == "external_id"}
    return services.product_update(actor=user, product_id=product_id, data=_external(data))


@router.delete("/products/{int:product_id}", response={204: None, **ERROR_RESPONSES}, tags=["products"],
               summary="Remove a product from the catalogue (orders keep it)")
def product_delete(request: HttpRequest, product_id: int) -> Status[None]:
    user = _user(request)
    selectors.products_visible(user).get(pk=product_id)
    services.product_delete(actor=user, product_id=product_id)
    return Status(204, None)


# --- Orders --------------------------------------------------------------------------------------

class OrderLineIn(InSchema):
    product: int = Field(description="Product id.")
    quantity: Annotated[Decimal, DecimalIn(max_digits=14, decimal_places=3, gt=0)]
    unit_price: UnitPrice | None = Field(None, description="Default: the product's list price.")
    discount: Annotated[Decimal, DecimalIn(max_digits=5, decimal_places=4, ge=0, le=1)] = Field(
        Decimal(0), description="A fraction: 0.15 is 15 % off."
    )


class OrderHeadIn(InSchema):
    ordered_at: datetime | None = Field(None, description="Default: now.")
    channel: ChannelChoice = ""  # type: ignore[valid-type]
    region: _str(50) = ""  # type: ignore[valid-type]
    location: _str(100) = ""  # type: ignore[valid-type]
    salesperson: int | None = Field(None, description="User id; default: you.")
    currency: Currency = "CNY"
    note: _str(10_000) = ""  # type: ignore[valid-type]
    external_id: _str(64) | None = None  # type: ignore[valid-type]


class OrderCreateIn(OrderHeadIn):
    customer: int = Field(description="Customer id.")
    status: Literal["placed", "paid"] = "placed"
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=500)]


class OrderPatchIn(InSchema):
    ordered_at: datetime | None = None
    channel: ChannelChoice | None = None  # type: ignore[valid-type]
    region: _str(50) | None = None  # type: ignore[valid-type]
    location: _str(100) | None = None  # type: ignore[valid-type]
    salesperson: int | None = None
    currency: Currency | None = None
    note: _str(10_000) | None = None  # type: ignore[valid-type]
    external_id: _str(64) | None = None  # type: ignore[valid-type]
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=500)] | None = Field(
        None, description="Replaces every line (placed orders only)."
    )


class OrderLineOut(Schema):
    id: int
    product: int
    product_code: str
    product_name: str
    position: int
    quantity: DecimalText
    unit_price: UnitPriceOut
    discount: DecimalText
    unit_cost: UnitPriceOut
    revenue: DecimalText
    cost: DecimalText
    margin: DecimalText

    @staticmethod
    def resolve_product(obj: Any) -> int:
        return obj.product_id

    @staticmethod
    def resolve_product_code(obj: Any) -> str:
        return obj.product.code

    @staticmethod
    def resolve_product_name(obj: Any) -> str:
        return obj.product.name


class OrderOut(Schema):
    id: int
    number: str
    customer: int
    customer_name: str
    ordered_at: datetime
    status: str
    channel: str
    region: str
    location: str
    salesperson: int | None
    currency: str
    revenue: DecimalText
    cost: DecimalText
    margin: DecimalText
    status_changed_at: datetime | None
    note: str
    external_id: str | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_customer(obj: Order) -> int:
        return obj.customer_id

    @staticmethod
    def resolve_customer_name(obj: Order) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_salesperson(obj: Order) -> int | None:
        return obj.salesperson_id


class OrderDetailOut(OrderOut):
    lines: list[OrderLineOut]

    @staticmethod
    def resolve_lines(obj: Order) -> list[Any]:
        return obj.line_list


OrderPage = cursor_page_schema(OrderOut, "OrderPage")


class OrderFilters(Schema):
    customer: int | None = None
    status: StatusChoice | None = None  # type: ignore[valid-type]
    channel: ChannelChoice | None = None  # type: ignore[valid-type]
    salesperson: int | None = None
    region: _str(50) | None = None  # type: ignore[valid-type]
    product: int | None = Field(None, description="Orders with a line of this product.")
    date_from: date | None = None
    date_to: date | None = None
    q: _str(100) | None = Field(None, description="Customer name or order number.")  # type: ignore[valid-type]
    sort: Literal[tuple(selectors.ORDER_SORTS)] = selectors.DEFAULT_ORDER_SORT  # type: ignore[valid-type]
    cursor: _str(1000) | None = None  # type: ignore[valid-type]
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class StatusIn(InSchema):
    status: StatusChoice  # type: ignore[valid-type]
    note: _str(500) = ""  # type: ignore[valid-type]


def _lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in line.items() if not (k == "unit_price" and v is None)} for line in lines]


def _order_out(user: User, order_id: int) -> Order:
    return selectors.order_detail(user=user, order_id=order_id)


@router.get("/orders", response={200: OrderPage, **ERROR_RESPONSES}, tags=["orders"], summary="List orders")
def order_list(request: HttpRequest, filters: Query[OrderFilters]) -> dict[str, Any]:
    """Orders of the customers you may see, filtered, one page at a time (keyset cursor)."""
    values = filters.model_dump()
    sort = values.pop("sort")
    cursor = cursor_unsign(values.pop("cursor"), f"orders:{sort}")
    size = values.pop("limit")
    try:
        page = selectors.order_list(user=_user(request), filters=values, sort=sort, cursor=cursor, size=size)
    except ValidationError as exc:
        raise ApiValidationError.field(["query", "cursor"], str(exc.messages[0]), "invalid_cursor") from exc
    return page_out(page, f"orders:{sort}")


@router.post("/orders", response={201: OrderDetailOut, **ERROR_RESPONSES}, tags=["orders"],
             summary="Record an order with its lines")
def order_create(request: HttpRequest, payload: OrderCreateIn) -> Status[Order]:
    """Revenue, cost and margin are computed from the lines (docs/orders.md)."""
    user = _user(request)
    data = payload.model_dump()
    customer_id, status, lines = data.pop("customer"), data.pop("status"), data.pop("lines")
    ensure_customer_in_body(user, customer_id)
    if data["ordered_at"] is None:
        data.pop("ordered_at")
    if data["salesperson"] is None:
        data.pop("salesperson")
    order = services.order_create(actor=user, customer_id=customer_id, data=_external(data), lines=_lines(lines),
                                  status=status)
    return Status(201, _order_out(user, order.pk))


@router.get("/orders/{int:order_id}", response={200: OrderDetailOut, **ERROR_RESPONSES}, tags=["orders"],
            summary="Read an order with its lines")
def order_detail(request: HttpRequest, response: HttpResponse, order_id: int) -> Order:
    """With an ETag: send it as If-Match when you change the order."""
    order = _order_out(_user(request), order_id)
    concurrency.set_etag(response, order)
    return order


@router.patch("/orders/{int:order_id}", response={200: OrderDetailOut, **ERROR_RESPONSES}, tags=["orders"],
              summary="Change an order")
def order_update(request: HttpRequest, response: HttpResponse, order_id: int, payload: OrderPatchIn) -> Order:
    """Only the fields sent change; `lines`, when sent, replaces every line of a placed order.
    If-Match (the ETag of your GET) refuses with 409 a change of an order that changed since."""
    user = _user(request)
    _order_out(user, order_id)
    data = payload.model_dump(exclude_unset=True)
    lines = data.pop("lines", None)
    data = {k: v for k, v in data.items() if v is not None or k in ("external_id", "salesperson")}
    services.order_update(actor=user, order_id=order_id, data=_external(data),
                          lines=_lines(lines) if lines is not None else None,
                          expected_version=concurrency.if_match(request))
    order = _order_out(user, order_id)
    concurrency.set_etag(response, order)
    return order


@router.post("/orders/{int:order_id}/status", response={200: OrderDetailOut, **ERROR_RESPONSES}, tags=["orders"],
             summary="Move an order on: placed → paid or cancelled; paid → refunded")
def order_status(request: HttpRequest, order_id: int, payload: StatusIn) -> Order:
    user = _user(request)
    _order_out(user, order_id)
    services.order_set_status(actor=user, order_id=order_id, status=payload.status, note=payload.note)
    return _order_out(user, order_id)


@router.delete("/orders/{int:order_id}", response={204: None, **ERROR_RESPONSES}, tags=["orders"],
               summary="Delete an order entered by mistake (managers and administrators)")
def order_delete(request: HttpRequest, order_id: int) -> Status[None]:
    user = _user(request)
    _order_out(user, order_id)
    services.order_delete(actor=user, order_id=order_id)
    return Status(204, None)


# --- Costs to serve ------------------------------------------------------------------------------

class CostIn(InSchema):
    customer: int = Field(description="Customer id.")
    kind: CostKindChoice  # type: ignore[valid-type]
    incurred_on: date | None = Field(None, description="Default: today.")
    amount: Money
    currency: Currency = "CNY"
    description: _str(255) = ""  # type: ignore[valid-type]
    order: int | None = Field(None, description="Order id of the same customer, optional.")
    external_id: _str(64) | None = None  # type: ignore[valid-type]


class CostPatchIn(InSchema):
    kind: CostKindChoice | None = None  # type: ignore[valid-type]
    incurred_on: date | None = None
    amount: Money | None = None
    currency: Currency | None = None
    description: _str(255) | None = None  # type: ignore[valid-type]
    order: int | None = None
    external_id: _str(64) | None = None  # type: ignore[valid-type]


class CostOut(Schema):
    id: int
    customer: int
    kind: str
    incurred_on: date
    amount: DecimalText
    currency: str
    description: str
    order: int | None
    external_id: str | None
    created_by: int | None
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_customer(obj: CustomerCost) -> int:
        return obj.customer_id

    @staticmethod
    def resolve_order(obj: CustomerCost) -> int | None:
        return obj.order_id

    @staticmethod
    def resolve_created_by(obj: CustomerCost) -> int | None:
        return obj.created_by_id


CostPage = cursor_page_schema(CostOut, "CostPage")


class CostFilters(Schema):
    customer: int | None = None
    kind: CostKindChoice | None = None  # type: ignore[valid-type]
    date_from: date | None = None
    date_to: date | None = None
    cursor: _str(1000) | None = None  # type: ignore[valid-type]
    limit: Annotated[int, Field(ge=1, le=200)] = 50


RecordApi(
    kind=services.COSTS, path="/costs", name="cost", module=__name__, tags=["costs"], id_param="cost_id",
    out=CostOut, page=CostPage, filters=CostFilters, list_selector=selectors.cost_list,
    create_in=CostIn, patch_in=CostPatchIn, nullable=("external_id", "order"), defaults=("incurred_on",),
    summaries={"list": "List costs to serve", "create": "Record a cost to serve", "detail": "Read a cost to serve",
               "update": "Change a cost to serve", "delete": "Delete a cost to serve"},
).register(router)
