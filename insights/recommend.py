"""Next best product (最适合的产品): for each customer, the products most likely to be bought next,
from item-to-item co-purchase associations, excluding what the customer already holds.

Data. A customer "holds" a product when a completed (paid, not deleted) order of theirs has a line
with it. One SQL query reads the distinct (customer, product) pairs; they become a sparse
customer × product incidence matrix A (1,000,000 × 60 is a few MB), and A.T @ A gives every
co-purchase count at once.

Associations, for products i and j over the N customers holding anything:
support(j) = n_j / N, confidence(i→j) = n_ij / n_i, lift(i, j) = n_ij · N / (n_i · n_j).

Scoring ("association_segment", the default). For a product j the customer does not hold:
score(j) = log prior(j) + Σ_{i held} log lift*(i, j) / √(number held) — naive Bayes in log space.
lift* shrinks each pair count toward independence by SMOOTHING, so a pair bought together twice by
accident says nothing; dividing by √(number held) tempers the evidence of held products, which are
far from independent. The prior is the share of customers with the same risk preference (风险偏好)
holding j (suitability drives what a bank offers and what customers buy), shrunk toward the overall
support; customers without a risk preference get the overall support. Customers holding nothing
(cold start) get the prior alone: their risk group's most held products, or the most popular ones.
Only active, not deleted products that someone has bought are recommended; never a held one.

Reasons. Each recommended product carries the evidence that sets it apart from the customer's other
candidates: the prior's part and the held products' part, each centred on the customer's mean over
the offered products (heavy buyers have lifts above 1 with everything — that ranks nothing and
explains nothing); the larger positive one is the basis. "association" names the held product with
the highest lift toward it (only when that lift is at least MIN_LIFT: we never claim "often bought
with" for a pair not bought together more than by chance); "segment" names the risk preference and
the share of that group holding it; otherwise "popular".

Other methods (for the evaluation): "association" (the same score with the overall support as the
prior: associations alone), "cosine" (item-kNN: the sum of cosine similarities n_ij / sqrt(n_i · n_j)
to the held products) and "popular" (support only, the baseline).

Result (`next_products(*, as_of, k=3) -> NextProducts`), compact: n × k arrays
- product_ids (int64, -1 where there are fewer than k candidates), scores (float: the method's
  ranking score — for the association methods a naive-Bayes log score, not a probability; only the
  order within one customer means anything),
- basis (int8: BASIS_NONE 0, BASIS_ASSOCIATION 1, BASIS_POPULAR 2, BASIS_SEGMENT 3),
- because_of (the held product id behind an association, -1 otherwise), lift, support (the share of
  all customers — or, for "segment", of the customer's risk group — holding the product), segment;
`result.reasons_for(row)` turns one customer's row into JSON-safe dicts
`{"product_id", "basis": "association"|"segment"|"popular", "because_of", "lift", "segment", "support"}`,
and `reason_text(reason, names)` into the one line staff read ("often bought with 稳享90天持有期 (lift 3.2)").
`result.reasons` builds every row's list (convenient for small sets; for a million customers
store the arrays or call reasons_for per row).

Evaluation (`evaluate_next_products(*, as_of)`): the orders in the last HOLDOUT_DAYS days before
as_of are held out; everything is fitted on the history before; for every customer who bought a
product in the hold-out they did not hold before, a hit is any such new product among their top k.
Reported per method, for all such customers and for those with a history (cold-start customers get
the popular products from every method), with a 95 % interval.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import scipy.sparse as sp
from django.utils.translation import gettext as _

from insights.features import day_start

SMOOTHING = 10.0
MIN_LIFT = 1.1
HOLDOUT_DAYS = 90
CHUNK = 100_000
METHODS = ("association_segment", "association", "cosine", "popular")
DEFAULT_METHOD = "association_segment"
BASIS_NONE, BASIS_ASSOCIATION, BASIS_POPULAR, BASIS_SEGMENT = 0, 1, 2, 3
_BASIS_NAMES = {BASIS_ASSOCIATION: "association", BASIS_POPULAR: "popular", BASIS_SEGMENT: "segment"}


@dataclass
class NextProducts:
    """Top-k next products per customer (see the module docstring for the arrays)."""

    customer_ids: np.ndarray
    product_ids: np.ndarray
    scores: np.ndarray
    basis: np.ndarray
    because_of: np.ndarray
    lift: np.ndarray
    support: np.ndarray
    segment: np.ndarray | None = None  # (n × k) segment code behind a "segment" reason, 0 otherwise
    segment_keys: list[str] = field(default_factory=lambda: [""])
    method: str = DEFAULT_METHOD
    diagnostics: dict[str, Any] = field(default_factory=dict)

    def reasons_for(self, row: int) -> list[dict[str, Any]]:
        """JSON-safe reasons of one customer (row index), one per recommended product."""
        out = []
        for c in range(self.product_ids.shape[1]):
            pid = int(self.product_ids[row, c])
            if pid < 0:
                continue
            basis = int(self.basis[row, c])
            segment = int(self.segment[row, c]) if self.segment is not None else 0
            out.append({
                "product_id": pid, "basis": _BASIS_NAMES.get(basis, "none"),
                "because_of": int(self.because_of[row, c]) if basis == BASIS_ASSOCIATION else None,
                "lift": round(float(self.lift[row, c]), 2) if basis == BASIS_ASSOCIATION else None,
                "segment": self.segment_keys[segment] if basis == BASIS_SEGMENT else None,
                "support": round(float(self.support[row, c]), 4),
            })
        return out

    @property
    def reasons(self) -> list[list[dict[str, Any]]]:
        return [self.reasons_for(i) for i in range(len(self.customer_ids))]


def reason_text(reason: dict[str, Any], names: dict[int, str]) -> str:
    """The one-line reason in the user's language; `names` maps product ids to names."""
    share = f"{reason.get('support', 0) * 100:.0f}%"
    if reason.get("basis") == "association":
        product = names.get(reason["because_of"]) or f"#{reason['because_of']}"
        return _("often bought with %(product)s (lift %(lift).1f)") % {"product": product, "lift": reason["lift"]}
    if reason.get("basis") == "segment":
        from customers.choices import RiskPreference

        label = dict(RiskPreference.choices).get(reason["segment"], reason["segment"])
        return _("held by %(share)s of customers with risk preference %(segment)s") % {
            "share": share, "segment": label}
    return _("popular: held by %(share)s of customers") % {"share": share}


# --- data ---------------------------------------------------------------------------------

def incidence_pairs(*, before: datetime, since: datetime | None = None) -> np.ndarray:
    """Distinct (customer id, product id) pairs of completed order lines ordered in [since, before),
    as an (m, 2) int64 array — one query, streamed in chunks."""
    from commerce.models import OrderLine

    qs = OrderLine.objects.completed().filter(order__ordered_at__lt=before, order__customer__deleted_at__isnull=True)
    if since is not None:
        qs = qs.filter(order__ordered_at__gte=since)
    pairs = qs.values_list("order__customer_id", "product_id").order_by().distinct()
    flat = np.fromiter(itertools.chain.from_iterable(pairs.iterator(chunk_size=50_000)), dtype=np.int64)
    return flat.reshape(-1, 2)


@dataclass
class Associations:
    """Co-purchase statistics over the products (columns) of an incidence matrix."""

    product_ids: np.ndarray  # column → product id
    n_customers: int  # customers holding at least one product
    counts: np.ndarray  # n_ij (p × p), n_i on the diagonal

    @property
    def holders(self) -> np.ndarray:
        return np.diag(self.counts).astype(float)

    @property
    def support(self) -> np.ndarray:
        return self.holders / max(self.n_customers, 1)

    @property
    def confidence(self) -> np.ndarray:
        """confidence[i, j] = P(j | i)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.nan_to_num(self.counts / self.holders[:, None])

    @property
    def lift(self) -> np.ndarray:
        n = self.holders
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.nan_to_num(self.counts * self.n_customers / np.outer(n, n))

    def cosine(self) -> np.ndarray:
        n = self.holders
        with np.errstate(invalid="ignore", divide="ignore"):
            s = np.nan_to_num(self.counts / np.sqrt(np.outer(n, n)))
        np.fill_diagonal(s, 0.0)
        return s


def incidence_matrix(pairs: np.ndarray, customer_ids: np.ndarray, product_ids: np.ndarray) -> sp.csr_matrix:
    """Binary customer × product matrix (rows: customer_ids, columns: product_ids, both sorted);
    pairs outside either are dropped."""
    if len(pairs) == 0:
        return sp.csr_matrix((len(customer_ids), len(product_ids)), dtype=np.float32)
    r = np.searchsorted(customer_ids, pairs[:, 0])
    c = np.searchsorted(product_ids, pairs[:, 1])
    ok = ((r < len(customer_ids)) & (c < len(product_ids)))
    ok[ok] &= (customer_ids[r[ok]] == pairs[ok, 0]) & (product_ids[c[ok]] == pairs[ok, 1])
    data = np.ones(int(ok.sum()), dtype=np.float32)
    m = sp.csr_matrix((data, (r[ok], c[ok])), shape=(len(customer_ids), len(product_ids)))
    m.data[:] = 1.0  # duplicates summed: back to 0/1
    return m


def associations(A: sp.csr_matrix, product_ids: np.ndarray) -> Associations:
    counts = (A.T @ A).toarray().astype(float)
    return Associations(product_ids=product_ids, n_customers=int((A.getnnz(axis=1) > 0).sum()), counts=counts)


# --- scoring ------------------------------------------------------------------------------

@dataclass
class Segments:
    """The customers' risk preference (风险偏好) as segment codes (0: unknown), with the share of
    each segment's customers holding each product — the prior of "association_segment"."""

    codes: np.ndarray  # per row of the incidence matrix
    keys: list[str]  # code → risk preference value ('' for unknown)
    share: np.ndarray  # (segments × p), smoothed toward the overall support


def segment_codes(customer_ids: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Each customer's risk-preference code (0: unknown) and the code → value list."""
    from customers.choices import RiskPreference
    from customers.models import Customer

    keys = ["", *RiskPreference.values]
    code_of = {k: i for i, k in enumerate(keys)}
    lookup = dict(Customer.objects.filter(risk_preference__in=keys[1:]).values_list("pk", "risk_preference"))
    codes = np.array([code_of.get(lookup.get(int(c), ""), 0) for c in customer_ids], dtype=np.int64)
    return codes, keys


def segments(customer_ids: np.ndarray, A: sp.csr_matrix, assoc: Associations) -> Segments:
    """Segments of the rows of A (customer_ids), with each segment's product shares from A."""
    codes, keys = segment_codes(customer_ids)
    member = sp.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))), shape=(len(keys), len(codes)))
    counts = np.asarray((member @ A).todense())
    sizes = np.asarray(member.sum(axis=1)).ravel()
    share = (counts + SMOOTHING * assoc.support[None, :]) / (sizes[:, None] + SMOOTHING)
    share[0] = assoc.support  # unknown risk preference: plain popularity (the cold-start fallback)
    return Segments(codes=codes, keys=keys, share=share)


def _for_rows(seg: Segments, customer_ids: np.ndarray) -> Segments:
    """The same segment shares, for other customers (e.g. fitted on history, applied to a hold-out)."""
    codes, _keys = segment_codes(customer_ids)
    return Segments(codes=codes, keys=seg.keys, share=seg.share)


def _log_lift(assoc: Associations) -> np.ndarray:
    """log lift, each pair's count shrunk by SMOOTHING toward independence (so rare pairs say ~0)."""
    n = assoc.holders
    expected = np.outer(n, n) / max(assoc.n_customers, 1)
    ll = np.log((assoc.counts + SMOOTHING) / (expected + SMOOTHING))
    np.fill_diagonal(ll, 0.0)
    return ll


def _score_block(A: sp.csr_matrix, assoc: Associations, method: str, candidates: np.ndarray,
                 seg: Segments | None, seg_codes: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(scores, driver) for a block of customers (customers × products; -inf where nothing may be
    offered). driver says which evidence lifts a product above the customer's average candidate:
    BASIS_ASSOCIATION (the held products), BASIS_SEGMENT (the risk preference) or BASIS_POPULAR."""
    n, p = A.shape
    support = assoc.support
    held = A.getnnz(axis=1)
    driver = np.full((n, p), BASIS_ASSOCIATION if method in ("association", "cosine") else BASIS_POPULAR,
                     dtype=np.int8)
    with np.errstate(divide="ignore"):
        if method == "popular":
            scores = np.tile(support, (n, 1))
        elif method == "cosine":
            scores = np.asarray(A @ assoc.cosine())
        elif method in ("association", "association_segment"):
            # Naive Bayes in log space: log prior + the held products' log lifts, the evidence
            # divided by √(number held) because the held products are far from independent.
            if method == "association_segment" and seg is not None and seg_codes is not None:
                prior = np.log(seg.share[seg_codes])
            else:
                prior = np.tile(np.log(support), (n, 1))
            evidence = np.asarray(A @ _log_lift(assoc)) / np.sqrt(np.maximum(held, 1))[:, None]
            scores = prior + evidence
            # Which part sets this product apart, each centred on the customer's mean over the
            # offered products (heavy buyers have high lifts with everything: that says nothing).
            ok = candidates & (support > 0)
            if ok.any():
                seg_part = prior - np.log(np.maximum(support, 1e-12))[None, :]
                seg_c = seg_part - seg_part[:, ok].mean(axis=1, keepdims=True)
                ev_c = evidence - evidence[:, ok].mean(axis=1, keepdims=True)
                driver = np.where((ev_c > 0) & (ev_c >= seg_c), BASIS_ASSOCIATION,
                                  np.where(seg_c > 0, BASIS_SEGMENT, BASIS_POPULAR)).astype(np.int8)
        else:
            raise ValueError(method)
    scores = np.where(held[:, None] > 0, scores, support[None, :]) if method in ("cosine",) else scores
    # Popularity breaks ties (and orders products with no association score at all).
    scores = scores + 1e-9 * support[None, :]
    scores[A.nonzero()] = -np.inf  # never what they already hold
    scores[:, ~candidates] = -np.inf
    scores[:, support <= 0] = -np.inf  # never bought by anyone: nothing to say about it
    driver[held == 0] = np.where(driver[held == 0] == BASIS_SEGMENT, BASIS_SEGMENT, BASIS_POPULAR)
    return scores, driver


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    k = min(k, scores.shape[1])
    if k == 0:
        return np.zeros((scores.shape[0], 0), dtype=np.int64)
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def recommend(A: sp.csr_matrix, assoc: Associations, *, customer_ids: np.ndarray, k: int, method: str,
              candidates: np.ndarray, seg: Segments | None = None) -> NextProducts:
    """Top-k products for every row of A (in blocks of CHUNK rows, so memory stays bounded).
    `seg` (segments of these rows) is used by "association_segment"."""
    n = A.shape[0]
    pids = np.full((n, k), -1, dtype=np.int64)
    scores = np.zeros((n, k))
    basis = np.zeros((n, k), dtype=np.int8)
    because_of = np.full((n, k), -1, dtype=np.int64)
    lift_out = np.full((n, k), np.nan)
    support_out = np.zeros((n, k))
    segment_out = np.zeros((n, k), dtype=np.int8)
    lift, support = assoc.lift, assoc.support
    for start in range(0, n, CHUNK):
        block = A[start:start + CHUNK]
        codes = seg.codes[start:start + CHUNK] if seg is not None else None
        s, driver = _score_block(block, assoc, method, candidates, seg, codes)
        top = _top_k(s, k)
        rows = np.arange(top.shape[0])[:, None]
        top_s = s[rows, top]
        valid = np.isfinite(top_s)
        sl = slice(start, start + top.shape[0])
        kk = top.shape[1]
        pids[sl, :kk] = np.where(valid, assoc.product_ids[top], -1)
        scores[sl, :kk] = np.where(valid, top_s, 0.0)
        dense = block.toarray() > 0
        # The reason: the held product with the highest lift toward each recommended product.
        src = np.full(top.shape, -1, dtype=np.int64)
        for c in range(kk):
            toward = np.where(dense, lift[:, top[:, c]].T, -np.inf)
            best = np.argmax(toward, axis=1)
            src[:, c] = np.where(dense.any(axis=1), best, -1)
        pair_lift = np.where(src >= 0, lift[np.maximum(src, 0), top], np.nan)
        top_driver = driver[rows, top]
        assoc_ok = valid & (top_driver == BASIS_ASSOCIATION) & (src >= 0) & (pair_lift >= MIN_LIFT)
        known = (codes > 0) if codes is not None else np.zeros(top.shape[0], dtype=bool)
        by_segment = valid & (top_driver == BASIS_SEGMENT) & known[:, None]
        basis[sl, :kk] = np.where(assoc_ok, BASIS_ASSOCIATION, np.where(
            by_segment, BASIS_SEGMENT, np.where(valid, BASIS_POPULAR, BASIS_NONE)))
        because_of[sl, :kk] = np.where(assoc_ok, assoc.product_ids[np.maximum(src, 0)], -1)
        lift_out[sl, :kk] = np.where(assoc_ok, pair_lift, np.nan)
        if seg is not None and codes is not None:
            seg_share = seg.share[codes[:, None], top]
            support_out[sl, :kk] = np.where(by_segment, seg_share, np.where(valid, support[top], 0.0))
            segment_out[sl, :kk] = np.where(by_segment, codes[:, None], 0)
        else:
            support_out[sl, :kk] = np.where(valid, support[top], 0.0)
    return NextProducts(customer_ids=customer_ids, product_ids=pids, scores=scores, basis=basis,
                        because_of=because_of, lift=lift_out, support=support_out, segment=segment_out,
                        segment_keys=seg.keys if seg is not None else [""], method=method)


def _catalogue() -> tuple[np.ndarray, np.ndarray]:
    """(every product id, sorted; mask of those that may be offered: active and not deleted)."""
    from commerce.models import Product

    rows = np.array(list(Product.objects.order_by("pk").values_list("pk", "active", "deleted_at")), dtype=object)
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    ids = rows[:, 0].astype(np.int64)
    offer = np.array([bool(a) and d is None for a, d in zip(rows[:, 1], rows[:, 2], strict=True)])
    return ids, offer


def _customers() -> np.ndarray:
    from customers.models import Customer

    ids = Customer.objects.filter(deleted_at__isnull=True).order_by("pk").values_list("pk", flat=True)
    return np.fromiter(ids.iterator(chunk_size=50_000), dtype=np.int64)


def next_products(*, as_of: date, k: int = 3, method: str = DEFAULT_METHOD) -> NextProducts:
    """Top-k next products of every (not deleted) customer from the completed orders up to the end
    of as_of; cold-start customers get the most popular products."""
    product_ids, offer = _catalogue()
    customer_ids = _customers()
    pairs = incidence_pairs(before=day_start(as_of + timedelta(days=1)))
    A = incidence_matrix(pairs, customer_ids, product_ids)
    assoc = associations(A, product_ids)
    seg = segments(customer_ids, A, assoc)
    result = recommend(A, assoc, customer_ids=customer_ids, k=k, method=method, candidates=offer, seg=seg)
    result.diagnostics = {"method": method, "as_of": as_of.isoformat(), "k": k,
                          "customers": int(len(customer_ids)), "customers_with_history": assoc.n_customers,
                          "products": int(offer.sum()), "smoothing": SMOOTHING, "min_lift": MIN_LIFT}
    return result


def _interval(hits: np.ndarray) -> dict[str, Any]:
    n = len(hits)
    if n == 0:
        return {"hit_rate": None, "ci95": None, "n": 0}
    p = float(hits.mean())
    half = 1.96 * (p * (1 - p) / n) ** 0.5
    return {"hit_rate": round(p, 4), "ci95": [round(max(0.0, p - half), 4), round(min(1.0, p + half), 4)], "n": n}


def evaluate_next_products(*, as_of: date, k: int = 3, holdout_days: int = HOLDOUT_DAYS) -> dict[str, Any]:
    """Hit rate at k of each method on the held-out last `holdout_days` days (module docstring)."""
    cut = as_of - timedelta(days=holdout_days)
    cut_end, end = day_start(cut + timedelta(days=1)), day_start(as_of + timedelta(days=1))
    product_ids, offer = _catalogue()
    train = incidence_pairs(before=cut_end)
    held = incidence_pairs(before=end, since=cut_end)
    customers = np.unique(held[:, 0]) if len(held) else np.zeros(0, dtype=np.int64)
    # The model is fitted on every customer's pre-cut history, then asked about the hold-out buyers.
    all_customers = np.unique(train[:, 0]) if len(train) else np.zeros(0, dtype=np.int64)
    A_all = incidence_matrix(train, all_customers, product_ids)
    assoc = associations(A_all, product_ids)
    seg = segments(all_customers, A_all, assoc)
    A = incidence_matrix(train, customers, product_ids)
    H = incidence_matrix(held, customers, product_ids)
    new = (H - H.multiply(A)).tocsr()  # bought in the hold-out, not held before
    new.eliminate_zeros()
    judged = new.getnnz(axis=1) > 0
    warm = A.getnnz(axis=1) > 0
    out: dict[str, Any] = {
        "as_of": as_of.isoformat(), "k": k, "holdout": [(cut + timedelta(days=1)).isoformat(), as_of.isoformat()],
        "customers_judged": int(judged.sum()), "with_history": int((judged & warm).sum()),
        "cold_start": int((judged & ~warm).sum()), "products": int(offer.sum()), "methods": {},
    }
    if not judged.any():
        return out
    A_j, new_j, warm_j = A[judged], new[judged], warm[judged]
    # Judge against every product they bought new, including ones no longer offered, and
    # recommend among the products offered then (the catalogue as it is today).
    for method in METHODS:
        rec = recommend(A_j, assoc, customer_ids=customers[judged], k=k, method=method, candidates=offer,
                        seg=_for_rows(seg, customers[judged]))
        cols = np.searchsorted(product_ids, np.maximum(rec.product_ids, 0))
        got = np.asarray(new_j.todense())[np.arange(len(cols))[:, None], cols] > 0
        hits = (got & (rec.product_ids >= 0)).any(axis=1)
        out["methods"][method] = {"all": _interval(hits), "with_history": _interval(hits[warm_j])}
    return out
