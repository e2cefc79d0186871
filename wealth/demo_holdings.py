"""Demo holdings (`kehu demo`, via core.registry "demo_generators"): what the wealth desk's customers
hold, for the demo's wealth customers — the people with recorded assets — plus the FX rates their
foreign-currency holdings are valued with.

Each wealth customer gets 1–7 holdings (about 3 on average): deposits, wealth-management products,
funds, bonds, stocks, insurance, sometimes property, and a mortgage or loan for some. Their values
split the customer's recorded assets (a mortgage is extra, a share of them); one holding in twelve is
in a foreign currency. Start dates are up to four years back, terms as the products have them, so
that some mature in the coming weeks (the home page's maturities). NumPy per block of customers,
reproducible by seed, written with core.db.insert_columns (COPY on PostgreSQL): no services, no
per-row audit entries.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from customers.choices import CustomerKind
from customers.models import Customer
from wealth.choices import AssetClass, RiskLevel
from wealth.models import FxRate, Holding

STREAM_HOLDINGS = 41  # core.demo's random streams: one per kind of data
BLOCK = 25_000
LARGE = 20_000
# Class → (weight among holdings, share-of-assets weight, terms in days (0: none), risk levels)
CLASSES: list[tuple[str, float, float, tuple[int, ...], tuple[str, ...]]] = [
    (AssetClass.DEPOSIT, 0.26, 1.2, (0, 90, 180, 365, 730, 1095), (RiskLevel.R1,)),
    (AssetClass.WEALTH_PRODUCT, 0.20, 1.0, (91, 182, 365, 540), (RiskLevel.R2, RiskLevel.R2, RiskLevel.R3)),
    (AssetClass.FUND, 0.16, 0.8, (0,), (RiskLevel.R2, RiskLevel.R3, RiskLevel.R4, RiskLevel.R4)),
    (AssetClass.BOND, 0.06, 0.8, (365, 1095, 1825), (RiskLevel.R1, RiskLevel.R2)),
    (AssetClass.STOCK, 0.08, 0.6, (0,), (RiskLevel.R4, RiskLevel.R5)),
    (AssetClass.INSURANCE, 0.09, 0.5, (3650, 7300), (RiskLevel.R1,)),
    (AssetClass.LOAN, 0.09, 0.0, (3650, 7300, 10950), ("",)),
    (AssetClass.PROPERTY, 0.04, 3.0, (0,), ("",)),
    (AssetClass.OTHER, 0.02, 0.3, (0,), (RiskLevel.R3,)),
]
PRODUCTS: dict[str, list[tuple[str, str]]] = {
    AssetClass.DEPOSIT: [("活期储蓄", ""), ("三个月定期存款", "TD3M"), ("一年定期存款", "TD1Y"),
                         ("三年定期存款", "TD3Y"), ("大额存单", "CD20"), ("通知存款", "ND7")],
    AssetClass.WEALTH_PRODUCT: [("稳享理财91天", "WM091"), ("季季盈理财", "WM182"), ("年年丰理财", "WM365"),
                                ("安心悦享固收+", "WM540")],
    AssetClass.FUND: [("沪深300指数基金", "510300"), ("货币市场基金", "000198"), ("纯债债券基金", "000032"),
                      ("科技成长混合基金", "001606"), ("全球精选QDII基金", "000041")],
    AssetClass.BOND: [("储蓄国债（电子式）", "GZ2403"), ("地方政府债", "DF2405"), ("企业债", "QY2208")],
    AssetClass.STOCK: [("A股证券账户", ""), ("港股通账户", ""), ("招商银行", "600036"), ("贵州茅台", "600519")],
    AssetClass.INSURANCE: [("终身寿险（现金价值）", "ZS01"), ("年金险", "NJ05"), ("增额终身寿", "ZE02")],
    AssetClass.LOAN: [("住房按揭贷款", "MTG"), ("汽车贷款", "CAR"), ("个人经营贷", "BIZ")],
    AssetClass.PROPERTY: [("自住房产", ""), ("投资性住宅", ""), ("商铺", "")],
    AssetClass.OTHER: [("黄金积存", "AU"), ("信托计划", "XT01")],
}
INSTITUTIONS = ["工商银行", "建设银行", "中国银行", "农业银行", "招商银行", "中信证券", "华泰证券", "平安保险",
                "中国人寿", "易方达基金"]
# One holding in twelve is in a foreign currency; today's rate of each into CNY.
FOREIGN = [("USD", 0.55, Decimal("7.18")), ("HKD", 0.25, Decimal("0.92")), ("EUR", 0.12, Decimal("7.78")),
           ("GBP", 0.05, Decimal("9.12")), ("JPY", 0.03, Decimal("0.0478"))]
FOREIGN_SHARE = 1 / 12


def ensure_rates(today: Any) -> int:
    """A rate of every demo currency into CNY for each quarter of the last three years (a few
    percent apart), so that totals of today and of past reviews can be computed. Returns how many
    were written (none when the demo's rates are there already)."""
    rows = []
    for code, _weight, rate in FOREIGN:
        for quarter in range(12, -1, -1):
            day = today - timedelta(days=91 * quarter)
            drift = Decimal(1) + Decimal((quarter * 37 + len(code) * 11) % 9 - 4) / Decimal(200)
            rows.append(FxRate(base=code, quote="CNY", rate=(rate * drift).quantize(Decimal("0.00000001")),
                               valid_from=day))
    existing = set(FxRate.objects.filter(quote="CNY").values_list("base", "valid_from"))
    new = [r for r in rows if (r.base, r.valid_from) not in existing]
    FxRate.objects.bulk_create(new, batch_size=500)
    return len(new)


def _wealth_customers(first: int, last: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ids, assets in cents, owner ids or 0) of the people with recorded assets, by id."""
    rows = (Customer.objects.filter(pk__range=(first, last), deleted_at__isnull=True, kind=CustomerKind.PERSON,
                                    assets__gt=0).order_by("pk").values_list("pk", "assets", "owner_id"))
    ids, cents, owners = [], [], []
    for pk, assets, owner in rows.iterator(chunk_size=20_000):
        ids.append(pk)
        cents.append(int(assets * 100))
        owners.append(owner or 0)
    return (np.array(ids, dtype=np.int64), np.array(cents, dtype=np.int64), np.array(owners, dtype=np.int64))


def _block(rng: np.random.Generator, ids: np.ndarray, cents: np.ndarray, owners: np.ndarray, today: int,
           using: str) -> dict[str, Any]:
    """The holdings of one block of wealth customers, column by column."""
    from core.db import Same, date_texts, datetime_texts
    from core.demo import pick

    m = len(ids)
    per = np.clip(rng.poisson(2.1, m) + 1, 1, 7)
    cust = np.repeat(np.arange(m), per)
    k = len(cust)
    weights = np.array([c[1] for c in CLASSES])
    cls = np.searchsorted(np.cumsum(weights / weights.sum()), rng.random(k), side="right").clip(0, len(CLASSES) - 1)
    # Assets split over the customer's non-loan holdings by a random weight per holding.
    share_weight = np.array([c[2] for c in CLASSES])[cls] * rng.lognormal(0, 0.6, k)
    share_weight[cls == LOAN] = 0
    totals = np.bincount(cust, weights=share_weight, minlength=m)
    amount = np.where(totals[cust] > 0, cents[cust] * share_weight / np.maximum(totals[cust], 1e-9), 0)
    # A mortgage or loan: a share of the customer's assets, owed.
    loan = cls == LOAN
    amount[loan] = cents[cust[loan]] * rng.uniform(0.05, 0.7, int(loan.sum()))
    amount = np.maximum(10_000, np.round(amount / 10_000) * 10_000).astype(np.int64)  # whole hundreds of yuan
    # Foreign currency: the amount is that currency's (converted from CNY at today's rate).
    foreign = (rng.random(k) < FOREIGN_SHARE) & ~np.isin(cls, [LOAN, PROPERTY])
    codes = ["CNY", *(code for code, _w, _r in FOREIGN)]
    fweights = np.array([w for _c, w, _r in FOREIGN])
    which = np.searchsorted(np.cumsum(fweights / fweights.sum()), rng.random(k), side="right").clip(0, len(FOREIGN) - 1)
    currency = np.where(foreign, which + 1, 0)
    rates = np.array([1.0, *(float(r) for _c, _w, r in FOREIGN)])
    amount = np.where(foreign, np.maximum(10_000, np.round(amount / rates[currency] / 10_000) * 10_000),
                      amount).astype(np.int64)
    # Start dates up to four years back; a term from the class's terms (0: no maturity).
    started = today - rng.integers(20, 1460, k)
    terms = _TERMS.draw(cls, rng.random(k))
    matures = started + terms
    # A term deposit or product that has run out was rolled over: its current term started later.
    rolling = (terms > 0) & (terms < 3650) & (matures < today)
    laps = np.where(rolling, (today - started) // np.maximum(terms, 1) + 1, 0)
    started = np.where(rolling, started + (laps - 1) * terms, started)
    matures = np.where(rolling, started + terms, matures)
    risk = pick(_RISKS.items, _RISKS.index(cls, rng.random(k)))
    # A demand deposit has no term, a time deposit has one: deposits pick from two lists.
    product_class = np.where((cls == DEPOSIT) & (terms == 0), len(CLASSES), cls)
    product = _PRODUCTS.index(product_class, rng.random(k))
    names = pick([n for n, _c in _PRODUCTS.items], product)
    product_codes = pick([c for _n, c in _PRODUCTS.items], product)
    ours = (rng.random(k) < 0.72) & (cls != PROPERTY)
    institution = np.where(ours | (cls == PROPERTY), -1, rng.integers(0, len(INSTITUTIONS), k))
    moment = datetime_texts(np.full(k, (today - 719163) * 1440 + 120, dtype=np.int64), using)
    owner = owners[cust]
    days = np.unique(matures)  # the maturities as text, each distinct day formatted once
    return {
        "customer_id": ids[cust].tolist(),
        "asset_class": pick([str(c[0].value) for c in CLASSES], cls),
        "product_name": names, "product_code": product_codes,
        "held_with_us": ours.tolist(),
        "institution": pick([*INSTITUTIONS, ""], np.where(institution < 0, len(INSTITUTIONS), institution)),
        "amount": (amount / 100).tolist(),
        "currency": pick(codes, currency),
        "started_on": date_texts(started),
        "matures_on": pick([*date_texts(days), None], np.where(terms == 0, len(days), np.searchsorted(days, matures))),
        "risk_level": risk, "notes": Same(""),
        "created_by_id": [o if o > 0 else None for o in owner.tolist()],
        "external_id": Same(None), "created_at": moment, "updated_at": moment, "deleted_at": Same(None),
    }


class _Table:
    """Per class, a list of choices drawn uniformly: one flat list and each class's offset and length,
    so that a whole block draws with NumPy (`index(classes, uniform draws)`)."""

    def __init__(self, lists: list[Sequence[Any]]) -> None:
        self.items = [item for items in lists for item in items]
        self.lengths = np.array([len(items) for items in lists], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)

    def index(self, classes: np.ndarray, draws: np.ndarray) -> np.ndarray:
        return self.offsets[classes] + (draws * self.lengths[classes]).astype(np.int64)

    def draw(self, classes: np.ndarray, draws: np.ndarray) -> np.ndarray:
        return np.array(self.items, dtype=np.int64)[self.index(classes, draws)]


DEPOSIT = next(i for i, c in enumerate(CLASSES) if c[0] == AssetClass.DEPOSIT)
_TERMS = _Table([c[3] for c in CLASSES])
_RISKS = _Table([[str(level) for level in c[4]] for c in CLASSES])
# Products by class, time deposits under DEPOSIT and the demand deposit as an extra "class" at the end.
_PRODUCTS = _Table([PRODUCTS[c[0]][1:] if i == DEPOSIT else PRODUCTS[c[0]] for i, c in enumerate(CLASSES)]
                   + [PRODUCTS[AssetClass.DEPOSIT][:1]])
LOAN = next(i for i, c in enumerate(CLASSES) if c[0] == AssetClass.LOAN)
PROPERTY = next(i for i, c in enumerate(CLASSES) if c[0] == AssetClass.PROPERTY)


def generate(*, first_customer_id: int, last_customer_id: int, seed: int, progress: Callable[..., Any],
             parallel: bool | None = None) -> dict[str, float]:
    """Write the demo FX rates and the holdings of the wealth customers first..last. Returns the
    seconds per phase."""
    from django.db import DEFAULT_DB_ALIAS

    from core.db import analyze, indexes_deferred, insert_columns
    from core.demo import PhaseClock, block_rng
    from customers.demo import bulk_mode

    clock = PhaseClock()
    phases, lap = clock.phases, clock.lap
    today = timezone.localdate()
    ids, cents, owners = _wealth_customers(first_customer_id, last_customer_id)
    total = len(ids)
    lap("holdings read customers")
    progress("holdings", 0, total)
    with bulk_mode(), transaction.atomic():
        ensure_rates(today)
        rebuild = total >= LARGE and Holding.objects.count() < 3 * total
        with indexes_deferred([Holding]) if rebuild else contextlib.nullcontext():
            blocks = ids // BLOCK
            done = 0
            for block in np.unique(blocks).tolist():
                lo, hi = np.searchsorted(blocks, [block, block + 1])
                rng = block_rng(seed, STREAM_HOLDINGS, block)
                insert_columns(Holding, _block(rng, ids[lo:hi], cents[lo:hi], owners[lo:hi], today.toordinal(),
                                               DEFAULT_DB_ALIAS))
                done += int(hi - lo)
                if done < total:
                    progress("holdings", done, total)
            progress("holdings", total, total)
            lap("holdings rows")
        lap("holdings indexes")
    analyze([Holding._meta.db_table, FxRate._meta.db_table])
    lap("holdings statistics")
    return phases
