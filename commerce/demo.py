"""Demo catalogue, orders and costs to serve (`kehu demo`, via core.registry "demo_generators").

The demo company is a retail bank's wealth-management business (the key user group of the
sources): 60 products in 8 categories — deposits, wealth-management products, funds, insurance,
precious metals, bonds, foreign exchange and value-added services. A product's price is what the
customer pays per unit (per 10,000 CNY invested, per policy-year, per gram …) and its unit cost
what that unit costs the bank, so margin = the bank's income (fee, spread, commission).

Realistic shape, from the shared per-customer traits (core.demo): a heavy-tailed value makes the
top 20 % of customers bring most of the margin; about a fifth of the customers stop buying part-way;
order months follow a seasonal curve; on average about 10 orders per customer.

Dates are measured back from the day the demo is loaded (the same seed gives the same data, shifted
to that day), so a demo always looks current: recent orders are still "placed", churned customers
have been quiet for months. Rows are written in bulk (core.db.insert_rows), never through the
services; there are no per-row audit entries.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from commerce.choices import CostKind, OrderStatus, SalesChannel
from commerce.models import CustomerCost, Order, OrderLine, Product
from commerce.services import line_amounts
from core.demo import MONTH_WEIGHTS, customer_traits, poisson
from customers.models import Customer

ORDERS_PER_CUSTOMER = 10.0
HISTORY_DAYS = 3 * 365
CHUNK = 2000  # customers per batch

# (code, name, category, price, unit cost, unit, kind) — kind drives quantities: "amount" is per
# 10,000 CNY invested, "each" a policy, service or item, "gram" precious metal by weight.
CATALOGUE: list[tuple[str, str, str, str, str, str, str]] = [
    # 存款 Deposits: the bank earns the spread between lending and deposit rates.
    ("DEP-3M", "三个月定期存款", "存款", "10000", "9985", "万元", "amount"),
    ("DEP-6M", "六个月定期存款", "存款", "10000", "9975", "万元", "amount"),
    ("DEP-1Y", "一年期定期存款", "存款", "10000", "9955", "万元", "amount"),
    ("DEP-3Y", "三年期定期存款", "存款", "10000", "9890", "万元", "amount"),
    ("DEP-CD1", "大额存单（1年）", "存款", "10000", "9950", "万元", "amount"),
    ("DEP-CD3", "大额存单（3年）", "存款", "10000", "9880", "万元", "amount"),
    # 理财产品 Wealth-management products (R1–R4): management and sales fees.
    ("WM-CASH", "天天盈现金管理（R1）", "理财产品", "10000", "9975", "万元", "amount"),
    ("WM-30D", "稳享30天持有期（R2）", "理财产品", "10000", "9965", "万元", "amount"),
    ("WM-90D", "稳享90天持有期（R2）", "理财产品", "10000", "9950", "万元", "amount"),
    ("WM-180D", "固收增强180天（R2）", "理财产品", "10000", "9935", "万元", "amount"),
    ("WM-1Y", "丰利一年定开（R2）", "理财产品", "10000", "9920", "万元", "amount"),
    ("WM-FIXP", "固收+混合（R3）", "理财产品", "10000", "9900", "万元", "amount"),
    ("WM-ESG", "ESG主题精选（R3）", "理财产品", "10000", "9890", "万元", "amount"),
    ("WM-PENS", "养老理财（R2）", "理财产品", "10000", "9930", "万元", "amount"),
    ("WM-EQ", "权益精选（R4）", "理财产品", "10000", "9860", "万元", "amount"),
    ("WM-STRU", "结构性存款（挂钩黄金）", "理财产品", "10000", "9940", "万元", "amount"),
    # 基金 Funds (agency sales): subscription fee plus trailing commission.
    ("FD-MMF", "货币市场基金", "基金", "10000", "9990", "万元", "amount"),
    ("FD-BOND", "纯债债券基金", "基金", "10000", "9950", "万元", "amount"),
    ("FD-HS300", "沪深300指数基金", "基金", "10000", "9880", "万元", "amount"),
    ("FD-TECH", "科技成长混合基金", "基金", "10000", "9850", "万元", "amount"),
    ("FD-HLTH", "医疗健康股票基金", "基金", "10000", "9850", "万元", "amount"),
    ("FD-DIV", "红利低波指数基金", "基金", "10000", "9880", "万元", "amount"),
    ("FD-QDII", "纳斯达克100 QDII基金", "基金", "10000", "9860", "万元", "amount"),
    ("FD-FOF45", "养老目标2045 FOF", "基金", "10000", "9870", "万元", "amount"),
    ("FD-BAL", "均衡配置混合基金", "基金", "10000", "9860", "万元", "amount"),
    ("FD-GOLD", "黄金ETF联接基金", "基金", "10000", "9900", "万元", "amount"),
    # 保险 Insurance (bancassurance): commission on the premium.
    ("INS-CI", "重大疾病保险（年缴）", "保险", "6800", "4700", "份·年", "each"),
    ("INS-MED", "百万医疗险", "保险", "1200", "780", "份·年", "each"),
    ("INS-ACC", "综合意外险", "保险", "300", "170", "份·年", "each"),
    ("INS-ANN", "年金保险（年缴）", "保险", "50000", "46500", "份·年", "each"),
    ("INS-WL", "增额终身寿险（趸缴）", "保险", "100000", "94000", "份", "each"),
    ("INS-EDU", "少儿教育金保险（年缴）", "保险", "20000", "18200", "份·年", "each"),
    ("INS-CAR", "机动车商业保险", "保险", "4500", "4050", "份·年", "each"),
    ("INS-HOME", "家庭财产保险", "保险", "500", "320", "份·年", "each"),
    # 贵金属 Precious metals: dealer spread.
    ("PM-ACC", "积存金", "贵金属", "560", "546", "克", "gram"),
    ("PM-BAR50", "投资金条 50克", "贵金属", "29500", "28400", "根", "each"),
    ("PM-BAR100", "投资金条 100克", "贵金属", "58800", "56700", "根", "each"),
    ("PM-ZOD", "生肖纪念金章", "贵金属", "4800", "4150", "枚", "each"),
    ("PM-SILV", "熊猫银币", "贵金属", "380", "300", "枚", "each"),
    ("PM-PT", "铂金条 20克", "贵金属", "5200", "4950", "根", "each"),
    # 债券 Bonds: distribution fee.
    ("BD-SAV3", "储蓄国债（3年）", "债券", "10000", "9975", "万元", "amount"),
    ("BD-SAV5", "储蓄国债（5年）", "债券", "10000", "9970", "万元", "amount"),
    ("BD-LOCAL", "地方政府债", "债券", "10000", "9960", "万元", "amount"),
    ("BD-FIN", "金融债", "债券", "10000", "9955", "万元", "amount"),
    ("BD-CORP", "企业债（AAA）", "债券", "10000", "9940", "万元", "amount"),
    ("BD-CONV", "可转债精选", "债券", "10000", "9920", "万元", "amount"),
    # 外汇与跨境 Foreign exchange and cross-border: fees and spread.
    ("FX-USD", "美元结售汇", "外汇与跨境", "10000", "9960", "万元", "amount"),
    ("FX-HKD", "港币结售汇", "外汇与跨境", "10000", "9965", "万元", "amount"),
    ("FX-REMIT", "跨境汇款", "外汇与跨境", "150", "60", "笔", "each"),
    ("FX-EDU", "留学汇款套餐", "外汇与跨境", "300", "120", "笔", "each"),
    ("FX-CASH", "外币现钞预约", "外汇与跨境", "100", "55", "笔", "each"),
    ("FX-LC", "跨境贸易结算（企业）", "外汇与跨境", "2000", "900", "笔", "each"),
    # 增值服务 Value-added services: fee-based.
    ("VS-PLAN", "私人财富规划", "增值服务", "8000", "3200", "次", "each"),
    ("VS-TRUST", "家族信托设立", "增值服务", "50000", "21000", "次", "each"),
    ("VS-BOX", "保管箱租赁", "增值服务", "800", "220", "年", "each"),
    ("VS-TAX", "税务筹划咨询", "增值服务", "3000", "1500", "次", "each"),
    ("VS-LAW", "法律咨询服务", "增值服务", "2000", "1100", "次", "each"),
    ("VS-HEALTH", "高端体检预约", "增值服务", "2600", "1900", "次", "each"),
    ("VS-LOUNGE", "机场贵宾厅", "增值服务", "400", "260", "次", "each"),
    ("VS-CASHM", "企业现金管理服务", "增值服务", "12000", "5000", "年", "each"),
]

# Category weights by the customer's risk preference (empty: unknown).
_CATEGORY_BY_RISK: dict[str, dict[str, float]] = {
    "conservative": {"存款": 5, "理财产品": 3, "基金": 0.5, "保险": 2, "贵金属": 0.8, "债券": 2.5, "外汇与跨境": 0.5,
                     "增值服务": 0.4},
    "cautious": {"存款": 3, "理财产品": 4, "基金": 1.5, "保险": 2, "贵金属": 1, "债券": 2, "外汇与跨境": 0.6,
                 "增值服务": 0.5},
    "balanced": {"存款": 2, "理财产品": 3.5, "基金": 3, "保险": 2, "贵金属": 1, "债券": 1.2, "外汇与跨境": 0.8,
                 "增值服务": 0.6},
    "growth": {"存款": 1, "理财产品": 2.5, "基金": 4.5, "保险": 1.5, "贵金属": 1.2, "债券": 0.8, "外汇与跨境": 1,
               "增值服务": 0.7},
    "aggressive": {"存款": 0.5, "理财产品": 1.5, "基金": 6, "保险": 1, "贵金属": 1.5, "债券": 0.6, "外汇与跨境": 1.2,
                   "增值服务": 0.8},
    "": {"存款": 3, "理财产品": 3, "基金": 2.5, "保险": 2, "贵金属": 1, "债券": 1.5, "外汇与跨境": 0.8,
         "增值服务": 0.5},
}
_CHANNELS = [(SalesChannel.BRANCH, 40), (SalesChannel.FIELD, 12), (SalesChannel.PHONE, 10), (SalesChannel.ONLINE, 18),
             (SalesChannel.WECHAT, 12), (SalesChannel.PARTNER, 4), (SalesChannel.EVENT, 4)]
_BRANCHES = ["营业部", "中心支行", "财富中心", "科技园支行", "新区支行", "东城支行", "西城支行"]
_COSTS = [
    (CostKind.MARKETING, "节日客户礼品", 100, 800), (CostKind.MARKETING, "理财沙龙活动", 200, 2000),
    (CostKind.MARKETING, "新客开户礼", 50, 300), (CostKind.SERVICE, "上门服务", 80, 400),
    (CostKind.SERVICE, "专属客户经理服务", 200, 1500), (CostKind.SERVICE, "投诉处理与补偿", 100, 3000),
    (CostKind.OTHER, "邮寄与资料费用", 20, 120),
]


def _pick(rng: random.Random, weights: list[tuple[Any, float]]) -> Any:
    total = sum(w for _x, w in weights)
    x = rng.random() * total
    for item, w in weights:
        x -= w
        if x <= 0:
            return item
    return weights[-1][0]


def catalogue_ensure() -> dict[str, Product]:
    """The demo catalogue (missing products added, existing ones left as they are), by code."""
    existing = {p.code: p for p in Product.objects.filter(code__in=[c[0] for c in CATALOGUE])}
    missing = [
        Product(code=code, name=name, category=category, price=Decimal(price), unit_cost=Decimal(cost), unit=unit,
                description="")
        for code, name, category, price, cost, unit, _kind in CATALOGUE if code not in existing
    ]
    Product.objects.bulk_create(missing)
    return {p.code: p for p in Product.objects.filter(code__in=[c[0] for c in CATALOGUE])}


def _seasonal_moment(rng: random.Random, start: date, end: date) -> datetime:
    """A time between start and end (inclusive) following MONTH_WEIGHTS, in office hours."""
    span = max(0, (end - start).days)
    peak = max(MONTH_WEIGHTS.values())
    while True:
        day = start + timedelta(days=int(rng.random() * (span + 1)))
        if rng.random() * peak <= MONTH_WEIGHTS[day.month]:
            break
    minutes = 9 * 60 + int(rng.random() * 11 * 60)
    # zoneinfo time zones need no localize(): tzinfo= is exact (and much faster than make_aware).
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=timezone.get_default_timezone())


def _customers(first: int, last: int) -> Iterator[list[tuple[Any, ...]]]:
    """The demo customers in id order, in chunks (one query per chunk)."""
    start = first
    while start <= last:
        end = min(last, start + CHUNK - 1)
        rows = Customer.objects.filter(pk__range=(start, end), deleted_at__isnull=True).order_by("pk")
        yield list(rows.values_list("pk", "kind", "owner_id", "province", "city", "relationship_since",
                                    "risk_preference"))
        start = end + 1


def _order_fields(model: type) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


class _Orders:
    """Builds the orders, lines and costs of one customer as row tuples."""

    def __init__(self, seed: int, products: dict[str, Product], today: date) -> None:
        self.seed = seed
        self.rng = random.Random(f"commerce-{seed}")
        self.today = today
        self.by_category: dict[str, list[tuple[Product, str]]] = {}
        for code, _name, category, _p, _c, _u, kind in CATALOGUE:
            self.by_category.setdefault(category, []).append((products[code], kind))
        self.order_fields = _order_fields(Order)
        self.line_fields = [f for f in _order_fields(OrderLine) if f != "id"]
        self.cost_fields = [f for f in _order_fields(CustomerCost) if f != "id"]

    def customer(self, row: tuple[Any, ...]) -> tuple[list[dict[str, Any]], list[tuple[Any, ...]]]:
        """(orders as dicts with their lines, cost rows) of one customer."""
        cid, kind, owner_id, province, city, since, risk = row
        rng = self.rng
        traits = customer_traits(self.seed, cid)
        org = kind == "organisation"
        first_day = max(since or self.today - timedelta(days=HISTORY_DAYS), self.today - timedelta(days=HISTORY_DAYS))
        span = (self.today - first_day).days
        last_day = first_day + timedelta(days=int(span * traits.stop_at)) if traits.churned else self.today
        active_share = max(0.05, (last_day - first_day).days / HISTORY_DAYS)
        # 1.25: customers who joined recently have a shorter history; this keeps the mean near 10.
        count = poisson(rng, 1.25 * ORDERS_PER_CUSTOMER * traits.activity * active_share * (1.3 if org else 1.0))
        favourite = _CHANNELS[int(traits.preference * len(_CHANNELS))][0]
        categories = list(_CATEGORY_BY_RISK.get(risk or "", _CATEGORY_BY_RISK[""]).items())
        size = traits.value * (3.0 if org else 1.0)
        location = f"{city}{_BRANCHES[int(traits.preference * 97) % len(_BRANCHES)]}" if city else ""
        orders = []
        for _i in range(count):
            at = _seasonal_moment(rng, first_day, last_day)
            lines = []
            for _j in range(_pick(rng, [(1, 70), (2, 22), (3, 8)])):
                product, unit_kind = rng.choice(self.by_category[_pick(rng, categories)])
                if unit_kind == "amount":
                    quantity = Decimal(max(1, min(5000, round(size * rng.lognormvariate(1.2, 0.8)))))
                elif unit_kind == "gram":
                    quantity = Decimal(max(5, round(size * rng.lognormvariate(3.5, 0.8))))
                else:
                    quantity = Decimal(1 if rng.random() < 0.85 else 2)
                discount = Decimal("0")
                if product.category == "增值服务" and rng.random() < 0.2:
                    discount = Decimal(rng.choice(("0.02", "0.05", "0.1")))
                lines.append((product, quantity, discount))
            age = (self.today - at.date()).days
            if age < 10:
                status = OrderStatus.PLACED if rng.random() < 0.45 else OrderStatus.PAID
            else:
                status = _pick(rng, [(OrderStatus.PAID, 90), (OrderStatus.CANCELLED, 5), (OrderStatus.REFUNDED, 3),
                                     (OrderStatus.PLACED, 2)])
            channel = favourite if rng.random() < 0.7 else _pick(rng, _CHANNELS)
            orders.append({"customer_id": cid, "at": at, "status": status, "channel": channel, "region": province,
                           "location": location if channel in (SalesChannel.BRANCH, SalesChannel.FIELD) else "",
                           "salesperson_id": owner_id, "lines": lines})
        costs = self._costs(rng, cid, owner_id, org, traits.value, first_day, last_day, count)
        return orders, costs

    def _costs(self, rng: random.Random, cid: int, owner_id: int, org: bool, value: float, first_day: date,
               last_day: date, orders: int) -> list[tuple[Any, ...]]:
        out = []
        years = max(0.2, (self.today - first_day).days / 365)
        for _i in range(poisson(rng, 0.3 * years * (1 + min(orders, 20) / 10))):
            kind, description, low, high = rng.choice(_COSTS)
            out.append((kind, description, low + rng.random() * (high - low), first_day, self.today))
        if orders and rng.random() < (0.04 if org else 0.012):
            # Bad debt mostly among organisations; litigation follows some of it.
            amount = 2000 + value * rng.lognormvariate(8, 1)
            out.append((CostKind.BAD_DEBT, "逾期款项核销", amount, first_day, last_day))
            if rng.random() < 0.25:
                out.append((CostKind.LITIGATION, "诉讼及律师费用", 5000 + rng.random() * 45000, last_day, self.today))
        rows = []
        for kind, description, amount, start, end in out:
            day = start + timedelta(days=int(rng.random() * max(1, (end - start).days)))
            moment = datetime.combine(day, time(10), tzinfo=timezone.get_default_timezone())
            values = {"customer_id": cid, "kind": kind, "incurred_on": day,
                      "amount": Decimal(str(round(amount, 2))).quantize(Decimal("0.01")), "currency": "CNY",
                      "description": description, "order_id": None, "created_by_id": owner_id, "external_id": None,
                      "created_at": moment, "updated_at": moment, "deleted_at": None}
            rows.append(tuple(values[f] for f in self.cost_fields))
        return rows

    def rows(self, orders: list[dict[str, Any]], ids: list[int]) -> tuple[list[tuple], list[tuple]]:
        """Order and line rows, amounts computed exactly as commerce.services does."""
        order_rows, line_rows = [], []
        for pk, o in zip(ids, orders, strict=True):
            revenue = cost = Decimal("0.00")
            for position, (product, quantity, discount) in enumerate(o["lines"], start=1):
                a = line_amounts(quantity=quantity, unit_price=product.price, discount=discount,
                                 unit_cost=product.unit_cost)
                revenue += a.revenue
                cost += a.cost
                line = {"order_id": pk, "product_id": product.pk, "position": position, "quantity": quantity,
                        "unit_price": product.price, "discount": discount, "unit_cost": product.unit_cost,
                        "revenue": a.revenue, "cost": a.cost, "margin": a.margin}
                line_rows.append(tuple(line[f] for f in self.line_fields))
            at = o["at"]
            changed = at + timedelta(days=1) if o["status"] != OrderStatus.PLACED else None
            values = {"id": pk, "customer_id": o["customer_id"], "ordered_at": at, "status": o["status"],
                      "channel": o["channel"], "region": o["region"], "location": o["location"],
                      "salesperson_id": o["salesperson_id"], "currency": "CNY", "revenue": revenue, "cost": cost,
                      "margin": revenue - cost, "status_changed_at": changed, "note": "", "external_id": None,
                      "created_at": at, "updated_at": changed or at, "deleted_at": None}
            order_rows.append(tuple(values[f] for f in self.order_fields))
        return order_rows, line_rows


def generate(*, first_customer_id: int, last_customer_id: int, seed: int, progress: Callable[..., Any]) -> None:
    """Write the demo catalogue, and orders with lines and costs for customers first..last."""
    # Imported here: the bulk-write helpers are only needed when a demo is loaded.
    from core.db import analyze, insert_rows, reserve_ids

    today = timezone.localdate()
    total = max(0, last_customer_id - first_customer_id + 1)
    done = 0
    progress("orders", 0, total)
    with transaction.atomic():
        builder = _Orders(seed, catalogue_ensure(), today)
        for chunk in _customers(first_customer_id, last_customer_id):
            orders: list[dict[str, Any]] = []
            costs: list[tuple[Any, ...]] = []
            for row in chunk:
                o, c = builder.customer(row)
                orders += o
                costs += c
            orders.sort(key=lambda o: o["at"])  # ids follow dates, as they would in real life
            order_rows, line_rows = builder.rows(orders, reserve_ids(Order, len(orders)))
            insert_rows(Order, builder.order_fields, order_rows)
            insert_rows(OrderLine, builder.line_fields, line_rows)
            insert_rows(CustomerCost, builder.cost_fields, costs)
            done += len(chunk)
            if done < total:
                progress("orders", done, total)
    progress("orders", total, total)
    analyze([Order._meta.db_table, OrderLine._meta.db_table, CustomerCost._meta.db_table])


