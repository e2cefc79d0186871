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
have been quiet for months.

Fast: a block of core.demo.BLOCK customers is generated at once with NumPy (counts per customer,
expanded to orders and lines with repeat/cumsum, dates by inverse CDF of the seasonal curve,
products by searchsorted on cumulative category weights) with amounts in integer cents, rounded
exactly as commerce.services.line_amounts rounds; large loads generate in a second process while
the first writes (core.db.insert_columns: multi-row INSERT on SQLite, COPY on PostgreSQL), with
the tables' indexes built afterwards. Never through the services; there are no per-row audit entries.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from commerce.choices import CostKind, OrderStatus, SalesChannel
from commerce.models import CustomerCost, Order, OrderLine, Product
from core.db import Same, date_texts, datetime_texts
from core.demo import (
    STREAM_ORDERS,
    Calendar,
    PhaseClock,
    ahead,
    block_rng,
    first_days,
    pick,
    position_in_group,
    traits,
    weighted,
    weighted_rows,
)

ORDERS_PER_CUSTOMER = 10.0
HISTORY_DAYS = 3 * 365
# Loads of at least this many customers generate in a second process and build indexes afterwards.
LARGE = 20_000

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


_CATEGORIES = list(dict.fromkeys(c[2] for c in CATALOGUE))
_RISKS = list(_CATEGORY_BY_RISK)
# Category weights by risk preference, one row per _RISKS entry, one column per _CATEGORIES entry.
_RISK_TABLE = np.array([[_CATEGORY_BY_RISK[r][c] for c in _CATEGORIES] for r in _RISKS])
_CHANNEL_VALUES = [c for c, _w in _CHANNELS]
_CHANNEL_WEIGHTS = [w for _c, w in _CHANNELS]
_AT_BRANCH = [_CHANNEL_VALUES.index(SalesChannel.BRANCH), _CHANNEL_VALUES.index(SalesChannel.FIELD)]
_STATUSES = [OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.REFUNDED, OrderStatus.PLACED]
_STATUS_WEIGHTS = [90, 5, 3, 2]
PAID, PLACED = 0, 3
_UNIT_KINDS = ["amount", "gram", "each"]
_DISCOUNTS_BP = np.array([200, 500, 1000])  # 2 %, 5 %, 10 % in basis points
# Cost rows: the regular kinds, then bad debt and litigation.
_COST_KINDS = [k for k, _d, _lo, _hi in _COSTS] + [CostKind.BAD_DEBT, CostKind.LITIGATION]
_COST_TEXTS = [d for _k, d, _lo, _hi in _COSTS] + ["逾期款项核销", "诉讼及律师费用"]
_COST_LOW = np.array([lo for _k, _d, lo, _hi in _COSTS], dtype=float)
_COST_HIGH = np.array([hi for _k, _d, _lo, hi in _COSTS], dtype=float)
BAD_DEBT, LITIGATION = len(_COSTS), len(_COSTS) + 1


def _cents(value: Decimal) -> int:
    cents = value * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"demo prices are whole cents: {value}")
    return int(cents)


@dataclass
class _Catalogue:
    """The products as arrays, grouped by category in _CATEGORIES order."""

    ids: np.ndarray
    price: np.ndarray  # cents
    unit_cost: np.ndarray  # cents
    kind: np.ndarray  # index into _UNIT_KINDS
    vas: np.ndarray  # bool: a value-added service (sometimes discounted)
    start: np.ndarray  # first product of each category
    count: np.ndarray  # products per category

    @classmethod
    def of(cls, products: dict[str, Product]) -> _Catalogue:
        rows = sorted(((_CATEGORIES.index(c[2]), i, c) for i, c in enumerate(CATALOGUE)))
        chosen = [(products[c[0]], c[6]) for _cat, _i, c in rows]
        per = np.bincount([cat for cat, _i, _c in rows], minlength=len(_CATEGORIES))
        return cls(
            ids=np.array([p.pk for p, _k in chosen]), price=np.array([_cents(p.price) for p, _k in chosen]),
            unit_cost=np.array([_cents(p.unit_cost) for p, _k in chosen]),
            kind=np.array([_UNIT_KINDS.index(k) for _p, k in chosen]),
            vas=np.array([p.category == "增值服务" for p, _k in chosen]),
            start=np.cumsum(per) - per, count=per,
        )


@dataclass
class _Block:
    """One block's rows, column by column (picklable: it may come from the second process).
    Order ids are given later (core.db.reserve_ids): `line_order` and `order_ids` of lines refer to
    the block's orders by position, which follow their dates."""

    customers: int
    orders: dict[str, Any]
    line_order: np.ndarray
    lines: dict[str, Any]
    costs: dict[str, Any]


def _money(cents: np.ndarray) -> list[float]:
    """Cents as the exact decimal's nearest float (what SQLite stores for the Decimal; PostgreSQL
    reads the float's shortest text, the decimal itself)."""
    return (cents / 100).tolist()


class _Generator:
    """Builds the orders, lines and costs of a block of customers, with NumPy."""

    def __init__(self, seed: int, catalogue: _Catalogue, calendar: Calendar, now: int, using: str) -> None:
        self.seed, self.catalogue, self.cal, self.now, self.using = seed, catalogue, calendar, now, using

    def block(self, block: int, frame: Any) -> _Block:
        rng = block_rng(self.seed, STREAM_ORDERS, block)
        cal, cat = self.cal, self.catalogue
        m = len(frame)
        t = traits(self.seed, frame.ids)
        today = cal.today
        org = frame.org
        first = first_days(frame.since, today, HISTORY_DAYS)
        span = today - first
        last = np.where(t.churned, first + (span * t.stop_at).astype(np.int64), today)
        active_share = np.maximum(0.05, (last - first) / HISTORY_DAYS)
        # 1.25: customers who joined recently have a shorter history; this keeps the mean near 10.
        count = rng.poisson(1.25 * ORDERS_PER_CUSTOMER * t.activity * active_share * np.where(org, 1.3, 1.0))

        # Orders: one entry per order, then sorted by time (ids follow dates, as in real life).
        cust = np.repeat(np.arange(m), count)
        n = len(cust)
        day = cal.seasonal(rng, first[cust], last[cust])
        moment = cal.utc_minutes(day, 9 * 60 + rng.integers(0, 11 * 60, n))
        # Today's orders were placed earlier today, never later.
        moment = np.where(moment > self.now, self.now - rng.integers(1, 601, n), moment)
        order = np.argsort(moment, kind="stable")
        cust, day, moment = cust[order], day[order], moment[order]
        age = today - day
        recent = age < 10
        status = np.where(recent, np.where(rng.random(n) < 0.45, PLACED, PAID),
                          weighted(rng, _STATUS_WEIGHTS, n))
        favourite = (t.preference * len(_CHANNELS)).astype(np.int64)
        channel = np.where(rng.random(n) < 0.7, favourite[cust], weighted(rng, _CHANNEL_WEIGHTS, n))
        cities = pick(frame.cities, frame.city)
        branch = (t.preference * 97).astype(np.int64) % len(_BRANCHES)
        locations = [f"{c}{_BRANCHES[b]}" if c else "" for c, b in zip(cities, branch.tolist(), strict=True)]
        at_branch = np.isin(channel, _AT_BRANCH)

        # Lines: 1–3 per order, products by the customer's risk preference.
        per_order = weighted(rng, [70, 22, 8], n) + 1
        line_order = np.repeat(np.arange(n), per_order)
        lines = len(line_order)
        lc = cust[line_order]
        risk = np.array([_RISKS.index(r) if r in _RISKS else _RISKS.index("") for r in frame.risks], dtype=np.int64)
        category = weighted_rows(rng, _RISK_TABLE, risk[frame.risk[lc]])
        product = cat.start[category] + np.minimum((rng.random(lines) * cat.count[category]).astype(np.int64),
                                                   cat.count[category] - 1)
        size = (t.value * np.where(org, 3.0, 1.0))[lc]
        amount_q = np.clip(np.round(size * rng.lognormal(1.2, 0.8, lines)), 1, 5000)
        gram_q = np.maximum(5, np.round(size * rng.lognormal(3.5, 0.8, lines)))
        each_q = np.where(rng.random(lines) < 0.85, 1, 2)
        kind = cat.kind[product]
        quantity = np.select([kind == 0, kind == 1], [amount_q, gram_q], each_q).astype(np.int64)
        discount = np.where(cat.vas[product] & (rng.random(lines) < 0.2),
                            _DISCOUNTS_BP[rng.integers(0, 3, lines)], 0)
        # commerce.services.line_amounts, in integer cents: revenue = q·p·(1 − d) rounded half up.
        exact = quantity * cat.price[product] * (10_000 - discount)  # cents × 10,000
        revenue = (2 * exact + 10_000) // 20_000
        cost = quantity * cat.unit_cost[product]
        starts = np.cumsum(per_order) - per_order
        order_revenue = np.add.reduceat(revenue, starts) if n else revenue[:0]
        order_cost = np.add.reduceat(cost, starts) if n else cost[:0]

        at_text = np.array(datetime_texts(moment, self.using), dtype=object)
        changed_text = np.array(datetime_texts(moment + 1440, self.using), dtype=object)
        placed = status == PLACED
        changed_text[placed] = None
        orders = {
            "customer_id": frame.ids[cust].tolist(), "ordered_at": at_text.tolist(),
            "status": pick(_STATUSES, status), "channel": pick(_CHANNEL_VALUES, channel),
            "region": pick(frame.provinces, frame.province[cust]),
            "location": pick([*locations, ""], np.where(at_branch, cust, m)),
            "salesperson_id": pick([*frame.owner.tolist(), None], np.where(frame.owner[cust] > 0, cust, m)),
            "currency": Same("CNY"), "revenue": _money(order_revenue), "cost": _money(order_cost),
            "margin": _money(order_revenue - order_cost), "status_changed_at": changed_text.tolist(),
            "note": Same(""), "external_id": Same(None), "created_at": at_text.tolist(),
            "updated_at": np.where(placed, at_text, changed_text).tolist(), "deleted_at": Same(None),
        }
        line_columns = {
            "product_id": cat.ids[product].tolist(), "position": (position_in_group(per_order) + 1).tolist(),
            "quantity": quantity.tolist(), "unit_price": _money(cat.price[product]),
            "discount": (discount / 10_000).tolist(), "unit_cost": _money(cat.unit_cost[product]),
            "revenue": _money(revenue), "cost": _money(cost), "margin": _money(revenue - cost),
        }
        return _Block(customers=m, orders=orders, line_order=line_order, lines=line_columns,
                      costs=self.costs(rng, frame, t, first, last, count))

    def costs(self, rng: np.random.Generator, frame: Any, t: Any, first: np.ndarray, last: np.ndarray,
              orders: np.ndarray) -> dict[str, Any]:
        m, today, org = len(frame), self.cal.today, frame.org
        years = np.maximum(0.2, (today - first) / 365)
        per = rng.poisson(0.3 * years * (1 + np.minimum(orders, 20) / 10))
        cust = np.repeat(np.arange(m), per)
        k = len(cust)
        kind = rng.integers(0, len(_COSTS), k)
        amount = _COST_LOW[kind] + rng.random(k) * (_COST_HIGH[kind] - _COST_LOW[kind])
        start, end = first[cust], np.full(k, today)
        # Bad debt mostly among organisations; litigation follows some of it.
        bad = (orders > 0) & (rng.random(m) < np.where(org, 0.04, 0.012))
        bad_amount = 2000 + t.value * rng.lognormal(8, 1, m)
        sued = bad & (rng.random(m) < 0.25)
        sued_amount = 5000 + rng.random(m) * 45_000
        b, s = np.flatnonzero(bad), np.flatnonzero(sued)
        cust = np.concatenate([cust, b, s])
        kind = np.concatenate([kind, np.full(len(b), BAD_DEBT), np.full(len(s), LITIGATION)])
        amount = np.concatenate([amount, bad_amount[b], sued_amount[s]])
        start = np.concatenate([start, first[b], last[s]])
        end = np.concatenate([end, last[b], np.full(len(s), today)])
        day = start + (rng.random(len(cust)) * np.maximum(1, end - start)).astype(np.int64)
        order = np.argsort(cust, kind="stable")
        cust, kind, amount, day = cust[order], kind[order], amount[order], day[order]
        moment = datetime_texts(self.cal.utc_minutes(day, np.full(len(day), 10 * 60)), self.using)
        return {
            "customer_id": frame.ids[cust].tolist(), "kind": pick(_COST_KINDS, kind), "incurred_on": date_texts(day),
            "amount": _money(np.round(amount * 100).astype(np.int64)), "currency": Same("CNY"),
            "description": pick(_COST_TEXTS, kind), "order_id": Same(None),
            "created_by_id": pick([*frame.owner.tolist(), None], np.where(frame.owner[cust] > 0, cust, m)),
            "external_id": Same(None), "created_at": moment, "updated_at": moment, "deleted_at": Same(None),
        }


def generate(*, first_customer_id: int, last_customer_id: int, seed: int, progress: Callable[..., Any],
             parallel: bool | None = None) -> dict[str, float]:
    """Write the demo catalogue, and orders with lines and costs for customers first..last.
    Returns the seconds per phase."""
    # Imported here: the bulk-write helpers are only needed when a demo is loaded.
    from django.db import DEFAULT_DB_ALIAS

    from core.db import analyze, indexes_deferred, insert_columns, reserve_ids
    from customers.demo import bulk_mode, customer_frame

    clock = PhaseClock()
    phases, lap = clock.phases, clock.lap

    frame = customer_frame(first_customer_id, last_customer_id)
    total = len(frame)
    large = total >= LARGE
    parallel = large if parallel is None else parallel
    calendar = Calendar(timezone.localdate(), timezone.get_current_timezone(), HISTORY_DAYS)
    done = 0
    progress("orders", 0, total)
    with bulk_mode(), transaction.atomic():
        builder = _Generator(seed, _Catalogue.of(catalogue_ensure()), calendar,
                             Calendar.now_minutes(timezone.now()), DEFAULT_DB_ALIAS)
        # Into (almost) empty tables, indexes are built faster afterwards than kept up to date.
        rebuild = large and Order.objects.count() < ORDERS_PER_CUSTOMER * total
        blocks = (builder.block(block, part) for block, part in frame.blocks())
        lap("read customers")
        with indexes_deferred([Order, OrderLine, CustomerCost]) if rebuild else contextlib.nullcontext():
            for b in ahead(blocks) if parallel else blocks:
                n = len(b.orders["customer_id"])
                ids = np.array(reserve_ids(Order, n), dtype=np.int64)
                insert_columns(Order, {"id": ids.tolist(), **b.orders})
                insert_columns(OrderLine, {"order_id": ids[b.line_order].tolist(), **b.lines})
                insert_columns(CustomerCost, b.costs)
                done += b.customers
                if done < total:
                    progress("orders", done, total)
            progress("orders", total, total)
            lap("orders rows")
        lap("orders indexes")
    lap("orders commit")
    analyze([Order._meta.db_table, OrderLine._meta.db_table, CustomerCost._meta.db_table])
    lap("orders statistics")
    return phases
