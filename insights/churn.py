"""Churn risk: a calibrated classifier over point-in-time features (insights.features), trained with
a time split and checked against the baselines a skeptic would name.

Training. With W = window_days (90 by default) and cut = as_of − W: features as of the cut, label 1
when the customer has no completed order in (cut, as_of]. Customers are split 70/30 by a hash of
their id (a customer-level hold-out). Two models are trained on the 70 %: logistic regression
(signed log of counts, amounts and days; median imputation with missing-value indicators;
standardised) and histogram gradient boosting; the one with the better AUC on a validation fifth of
the training customers is chosen, then both are refitted with isotonic calibration
(CalibratedClassifierCV, 3 folds) on the whole 70 % and reported on the 30 %. An out-of-time check
trains the chosen method one window earlier (features at cut − W, labels in (cut − W, cut]) and
tests it on every customer at the cut, as the model will be used. The model that scores the
current customers (features as of as_of) is the chosen method, calibrated, refitted on every
labelled customer.

Baselines (AUC on the same hold-out): days since last purchase; BG/NBD expected purchases in the
window, negated; and 1 − P(alive) — shown only to document why it must never be the churn score:
P(alive) is 1 for every customer without a repeat purchase, so it ranks all one-time buyers as the
safest customers.

Factors. For each customer and feature: how much the predicted probability changes when that one
feature is set to its typical (median) value in the training population, everything else kept. The
three largest changes are the factors, with their direction ("up": this value raises the risk).
Cheap (one prediction per feature), model-agnostic and honest about what it is: a one-at-a-time
counterfactual, not a causal claim; correlated features (recency and silence) share credit unevenly.

Fallback. With fewer than MIN_LABELLED labelled customers, or fewer than MIN_CLASS in either class,
no classifier is trained: the score is the percentile rank (0–1) of the best baseline among the
current customers (days since last purchase, or BG/NBD when it ranks better on the labelled data),
`diagnostics["fallback"]` names the reason (see FALLBACK_REASONS) and the UI must say it is a ranking,
not a probability.

`churn_scores(*, as_of)` is what insights.services stores per customer; `evaluate_churn(*, as_of)`
returns only the diagnostics (the evaluation command prints them).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from django.utils.translation import gettext_lazy as _

from insights.features import FEATURES, FeatureFrame, churn_labels, feature_frame

WINDOW_DAYS = 90
MIN_LABELLED = 200
MIN_CLASS = 30
TEST_SHARE = 0.3
MAX_TRAIN = 200_000  # a larger training set is sampled down: the fit time grows, the AUC does not
FACTOR_COUNT = 3
BASELINES = ("recency_days", "bgnbd_expected", "bgnbd_p_alive")
# Baselines allowed as the fallback score: never P(alive) (see the module docstring).
FALLBACK_BASELINES = ("recency_days", "bgnbd_expected")

FALLBACK_REASONS = {
    "too_few_labelled": _("Too few customers with a purchase history to train a churn model "
                          "(%(n)s, at least %(min)s needed): the risk shown is a ranking by %(baseline)s."),
    "one_class_too_small": _("Too few customers who stayed or who left to train a churn model "
                             "(%(small)s, at least %(min)s needed): the risk shown is a ranking by %(baseline)s."),
    "baseline_wins": _("On the validation customers the ranking by %(baseline)s (AUC %(baseline_auc)s) beat the "
                       "churn model (AUC %(model_auc)s): the risk shown is that ranking."),
}
BASELINE_LABELS = {
    "recency_days": _("days since last purchase"),
    "bgnbd_expected": _("BG/NBD expected purchases"),
}


@dataclass
class ChurnResult:
    """Churn risk of the current customers: probability (or baseline rank when
    diagnostics["fallback"] is set), the top factors per customer and the model diagnostics."""

    customer_ids: np.ndarray
    probability: np.ndarray
    factors: list[list[dict[str, Any]]]
    diagnostics: dict[str, Any] = field(default_factory=dict)


def fallback_message(diagnostics: dict[str, Any]) -> str:
    """The fallback reason in the user's language ('' when a model was trained)."""
    reason = diagnostics.get("fallback")
    if not reason:
        return ""
    d = diagnostics.get("fallback_detail", {})
    return str(FALLBACK_REASONS[reason] % {
        "n": d.get("n_labelled", 0), "small": d.get("smaller_class", 0),
        "min": MIN_CLASS if reason == "one_class_too_small" else MIN_LABELLED,
        "baseline": BASELINE_LABELS.get(d.get("baseline", ""), d.get("baseline", "")),
        "baseline_auc": d.get("baseline_auc"), "model_auc": d.get("model_auc"),
    })


# --- models -----------------------------------------------------------------------------------

def _signed_log(X: np.ndarray, mask: np.ndarray) -> np.ndarray:
    X = np.array(X, dtype=float, copy=True)
    X[:, mask] = np.sign(X[:, mask]) * np.log1p(np.abs(X[:, mask]))
    return X


def make_model(method: str, keys: list[str], *, calibrated: bool = False, n: int = 10_000) -> Any:
    """An unfitted scikit-learn classifier for the features `keys` (isotonic-calibrated on request;
    sigmoid below 1,000 rows, where isotonic steps overfit)."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    if method == "logistic":
        units = {f.key: f.unit for f in FEATURES}
        mask = np.array([units.get(k) in ("count", "money", "days", "ratio") for k in keys], dtype=bool)
        model: Any = make_pipeline(
            FunctionTransformer(_signed_log, kw_args={"mask": mask}),
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            # Clipped: a feature nearly constant in training (P(alive) when no one has dropped out
            # yet) must not explode when it varies later (seen out of time: every score became 1).
            StandardScaler(), FunctionTransformer(np.clip, kw_args={"a_min": -5.0, "a_max": 5.0}),
            LogisticRegression(C=1.0, max_iter=2000),
        )
    elif method == "gradient_boosting":
        model = HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, max_leaf_nodes=15,
                                               min_samples_leaf=40, l2_regularization=1.0, early_stopping=False,
                                               random_state=0)
    else:
        raise ValueError(method)
    if calibrated:
        model = CalibratedClassifierCV(model, method="isotonic" if n >= 1000 else "sigmoid", cv=3)
    return model


METHODS = ("logistic", "gradient_boosting")


def _auc(y: np.ndarray, score: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    ok = ~np.isnan(score)
    if ok.sum() < 2 or len(np.unique(y[ok])) < 2:
        return None
    return round(float(roc_auc_score(y[ok], score[ok])), 4)


def _brier(y: np.ndarray, p: np.ndarray) -> float:
    return round(float(np.mean((p - y) ** 2)), 4)


def baseline_scores(frame: FeatureFrame) -> dict[str, np.ndarray]:
    """Churn scores of the baselines (higher = more likely to leave)."""
    return {
        "recency_days": frame.column("recency_days"),
        "bgnbd_expected": -frame.column("bgnbd_expected"),
        "bgnbd_p_alive": 1.0 - frame.column("bgnbd_p_alive"),
    }


def holdout_mask(customer_ids: np.ndarray, share: float = TEST_SHARE) -> np.ndarray:
    """The customer-level hold-out: a fixed hash of the id, so a customer is always on one side."""
    h = (np.asarray(customer_ids, dtype=np.uint64) * np.uint64(2654435761)) % np.uint64(2**32)
    return (h.astype(np.float64) / 2**32) < share


def _sample(n: int, limit: int) -> np.ndarray:
    idx = np.arange(n)
    if n > limit:
        idx = np.sort(np.random.default_rng(0).choice(n, size=limit, replace=False))
    return idx


def _calibration_points(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Mean predicted vs observed churn in probability deciles (equal-count bins), for the chart."""
    order = np.argsort(p, kind="stable")
    out = []
    for chunk in np.array_split(order, min(bins, max(1, len(order)))):
        if len(chunk):
            out.append({"predicted": round(float(p[chunk].mean()), 4), "observed": round(float(y[chunk].mean()), 4),
                        "count": int(len(chunk))})
    return out


def _labelled(cut: date, window_days: int, info: dict[str, Any] | None = None) -> tuple[FeatureFrame, np.ndarray]:
    frame = feature_frame(cut=cut, window_days=window_days, info=info)
    return frame, churn_labels(customer_ids=frame.customer_ids, cut=cut, window_days=window_days)


def _fallback_reason(y: np.ndarray) -> tuple[str | None, dict[str, Any]]:
    n, churned = len(y), int(y.sum())
    detail = {"n_labelled": n, "n_churned": churned, "n_retained": n - churned,
              "smaller_class": min(churned, n - churned)}
    if n < MIN_LABELLED:
        return "too_few_labelled", detail
    if min(churned, n - churned) < MIN_CLASS:
        return "one_class_too_small", detail
    return None, detail


def _rank01(values: np.ndarray) -> np.ndarray:
    """Percentile rank in [0, 1] (ties share the mean rank; NaN ranks as the middle)."""
    from scipy.stats import rankdata

    v = np.where(np.isnan(values), np.nanmedian(values) if np.any(~np.isnan(values)) else 0.0, values)
    if len(v) <= 1:
        return np.full(len(v), 0.5)
    return (rankdata(v) - 1) / (len(v) - 1)


def train_evaluate(*, as_of: date, window_days: int = WINDOW_DAYS) -> tuple[Any, FeatureFrame, dict[str, Any]]:
    """Train and evaluate as described in the module docstring: (final model or None, the labelled
    frame at the cut, diagnostics). The model is None on fallback."""
    with _threads():
        return _train_evaluate(as_of=as_of, window_days=window_days)


@contextlib.contextmanager
def _threads() -> Iterator[None]:
    """One OpenMP/BLAS thread: on a shared server, gradient boosting's thread pool over small blocks
    spends more time waiting for busy cores than computing (measured: 10× slower under load)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def _train_evaluate(*, as_of: date, window_days: int) -> tuple[Any, FeatureFrame, dict[str, Any]]:
    cut = as_of - timedelta(days=window_days)
    info: dict[str, Any] = {}
    frame, y = _labelled(cut, window_days, info)
    diag: dict[str, Any] = {
        "as_of": as_of.isoformat(), "window_days": window_days,
        "trained_on": {"features_at": cut.isoformat(), "label_from": (cut + timedelta(days=1)).isoformat(),
                       "label_to": as_of.isoformat()},
        "features": frame.keys, "n_labelled": int(len(y)),
        "churn_rate": round(float(y.mean()), 4) if len(y) else None,
        "bgnbd": info.get("bgnbd"), "fallback": None,
    }
    reason, detail = _fallback_reason(y)
    baselines = baseline_scores(frame)
    if reason:
        aucs = {k: _auc(y, s) for k, s in baselines.items()} if len(y) else dict.fromkeys(BASELINES)
        candidates = {k: auc for k in FALLBACK_BASELINES if (auc := aucs.get(k)) is not None}
        best = max(candidates, key=lambda k: candidates[k]) if candidates else "recency_days"
        detail["baseline"] = best
        diag.update(method=f"baseline:{best}", fallback=reason, fallback_detail=detail, baseline_aucs=aucs,
                    n_train=0, n_test=0, auc=None, brier=None, models={}, calibration=[], out_of_time=None)
        return None, frame, diag

    # Features with no value at all here (no contacts recorded, BG/NBD fit failed …) are left out.
    keys = [k for j, k in enumerate(frame.keys) if not np.all(np.isnan(frame.X[:, j]))]
    diag.update(features=keys, features_unused=[k for k in frame.keys if k not in keys])
    X = _columns(frame, keys)
    test = holdout_mask(frame.customer_ids)
    if test.all() or not test.any() or len(np.unique(y[~test])) < 2 or len(np.unique(y[test])) < 2:
        test = np.arange(len(y)) % 3 == 0  # tiny sets: any deterministic split with both classes
    train_idx = np.flatnonzero(~test)[_sample(int((~test).sum()), MAX_TRAIN)]
    X_tr, y_tr, X_te, y_te = X[train_idx], y[train_idx], X[test], y[test]
    # Choose the method on a validation fifth of the training customers (never on the test set).
    # (Training customers all hash at or above TEST_SHARE: the next fifth of the hash range is theirs.)
    val = holdout_mask(frame.customer_ids[train_idx], TEST_SHARE + (1 - TEST_SHARE) * 0.2)
    if len(np.unique(y_tr[val])) < 2 or len(np.unique(y_tr[~val])) < 2:
        val = np.arange(len(y_tr)) % 5 == 0
    models: dict[str, dict[str, Any]] = {}
    fitted: dict[str, Any] = {}
    for method in METHODS:
        m = make_model(method, keys).fit(X_tr[~val], y_tr[~val])
        validation_auc = _auc(y_tr[val], m.predict_proba(X_tr[val])[:, 1])
        cal = make_model(method, keys, calibrated=True, n=len(y_tr)).fit(X_tr, y_tr)
        p = cal.predict_proba(X_te)[:, 1]
        fitted[method] = (cal, p)
        models[method] = {"validation_auc": validation_auc, "auc": _auc(y_te, p), "brier": _brier(y_te, p)}
    method = max(METHODS, key=lambda k: models[k]["validation_auc"] or 0.0)
    # The baselines are candidates of the same choice: where one ranks the validation customers better than the
    # chosen model, the baseline's ranking is what is scored and shown (never worse than the best baseline).
    baseline_validation = {k: _auc(y_tr[val], baselines[k][train_idx][val]) for k in FALLBACK_BASELINES}
    diag["baseline_validation_aucs"] = baseline_validation
    winner = _winning_baseline(baseline_validation, models[method]["validation_auc"])
    if winner is not None:
        test_aucs = {k: _auc(y_te, s[test]) for k, s in baselines.items()}
        diag.update(method=f"baseline:{winner}", fallback="baseline_wins", n_train=int(len(train_idx)),
                    n_test=int(test.sum()), auc=test_aucs[winner], brier=None, models=models,
                    baseline_aucs=test_aucs, calibration=[], out_of_time=None, gain_over_best_baseline=None,
                    fallback_detail={"baseline": winner, "baseline_auc": baseline_validation[winner],
                                     "model": method, "model_auc": models[method]["validation_auc"]})
        return None, frame, diag
    p_test = fitted[method][1]
    diag.update(
        method=method, n_train=int(len(train_idx)), n_test=int(test.sum()), auc=models[method]["auc"],
        brier=models[method]["brier"], models=models,
        baseline_aucs={k: _auc(y_te, s[test]) for k, s in baselines.items()},
        # The Brier score of always predicting the training churn rate: the bar calibration must clear.
        brier_reference=_brier(y_te, np.full(len(y_te), float(y_tr.mean()))),
        calibration=_calibration_points(y_te, p_test),
    )
    diag["gain_over_best_baseline"] = _gain(y_te, p_test, {k: baselines[k][test] for k in FALLBACK_BASELINES})
    diag["out_of_time"] = _out_of_time(method, keys, cut, window_days, frame, y)
    all_idx = _sample(len(y), MAX_TRAIN)
    final = make_model(method, keys, calibrated=True, n=len(all_idx)).fit(X[all_idx], y[all_idx])
    return final, frame, diag


def _winning_baseline(baseline_aucs: dict[str, float | None], model_auc: float | None) -> str | None:
    """The baseline whose validation AUC is above the model's (the best such), or None."""
    usable = {k: v for k, v in baseline_aucs.items() if v is not None}
    if not usable:
        return None
    best = max(usable, key=lambda k: usable[k])
    return best if model_auc is None or usable[best] > model_auc else None


def _gain(y: np.ndarray, p: np.ndarray, baselines: dict[str, np.ndarray], rounds: int = 200,
          limit: int = 50_000) -> dict[str, Any] | None:
    """AUC of the model minus the AUC of the best baseline (never P(alive)) on the test customers,
    with a paired bootstrap 95 % interval (customers resampled; at most `limit` of them)."""
    from sklearn.metrics import roc_auc_score

    aucs = {k: _auc(y, s) for k, s in baselines.items()}
    usable = {k: v for k, v in aucs.items() if v is not None}
    if not usable or _auc(y, p) is None:
        return None
    best = max(usable, key=lambda k: usable[k])
    b = baselines[best]
    idx = _sample(len(y), limit)
    y, p, b = y[idx], p[idx], np.nan_to_num(b[idx], nan=float(np.nanmedian(b)))
    rng = np.random.default_rng(0)
    gains = []
    for _i in range(rounds):
        r = rng.integers(0, len(y), len(y))
        if 0 < y[r].sum() < len(r):
            gains.append(roc_auc_score(y[r], p[r]) - roc_auc_score(y[r], b[r]))
    point = float(roc_auc_score(y, p) - roc_auc_score(y, b))
    low, high = (np.percentile(gains, [2.5, 97.5]) if gains else (np.nan, np.nan))
    return {"baseline": best, "auc_gain": round(point, 4), "ci95": [round(float(low), 4), round(float(high), 4)]}


def _out_of_time(method: str, keys: list[str], cut: date, window_days: int, test_frame: FeatureFrame,
                 y_test: np.ndarray) -> dict[str, Any] | None:
    """Train one window earlier, test on every customer labelled at the cut."""
    early = cut - timedelta(days=window_days)
    frame, y = _labelled(early, window_days)
    reason, detail = _fallback_reason(y)
    if reason:
        return {"features_at": early.isoformat(), "skipped": reason, **detail}
    idx = _sample(len(y), MAX_TRAIN)
    # The same features as the main model; one entirely empty in the earlier period is imputed.
    X_early = _columns(frame, keys)
    X_early[:, np.all(np.isnan(X_early), axis=0)] = 0.0
    model = make_model(method, keys, calibrated=True, n=len(idx)).fit(X_early[idx], y[idx])
    p = model.predict_proba(_columns(test_frame, keys))[:, 1]
    return {
        "features_at": early.isoformat(), "tested_at": cut.isoformat(), "n_train": int(len(idx)),
        "n_test": int(len(y_test)), "auc": _auc(y_test, p), "brier": _brier(y_test, p),
        "baseline_aucs": {k: _auc(y_test, s) for k, s in baseline_scores(test_frame).items()},
    }


def _columns(frame: FeatureFrame, keys: list[str]) -> np.ndarray:
    """The frame's columns in the order of `keys` (NaN for a key the frame lacks)."""
    out = np.full((len(frame.customer_ids), len(keys)), np.nan)
    for j, k in enumerate(keys):
        if k in frame.keys:
            out[:, j] = frame.column(k)
    return out


def evaluate_churn(*, as_of: date, window_days: int = WINDOW_DAYS) -> dict[str, Any]:
    """The churn model's diagnostics (AUC, Brier, baselines, out-of-time, calibration), JSON-safe."""
    return train_evaluate(as_of=as_of, window_days=window_days)[2]


def _factors(model: Any, X: np.ndarray, keys: list[str], reference: np.ndarray,
             p: np.ndarray) -> list[list[dict[str, Any]]]:
    """Top FACTOR_COUNT one-at-a-time counterfactual effects per customer (see the module docstring)."""
    n, k = X.shape
    effect = np.zeros((n, k))
    for j in range(k):
        Xj = X.copy()
        Xj[:, j] = reference[j]
        effect[:, j] = p - model.predict_proba(Xj)[:, 1]
    top = np.argsort(-np.abs(effect), axis=1, kind="stable")[:, :FACTOR_COUNT]
    out: list[list[dict[str, Any]]] = []
    for i in range(n):
        row = []
        for j in top[i]:
            e = float(effect[i, j])
            if abs(e) < 1e-4:
                continue
            v = X[i, j]
            row.append({"feature": keys[j], "direction": "up" if e > 0 else "down",
                        "value": None if np.isnan(v) else round(float(v), 4),
                        "typical": None if np.isnan(reference[j]) else round(float(reference[j]), 4),
                        "effect": round(e, 4)})
        out.append(row)
    return out


def churn_scores(*, as_of: date, window_days: int = WINDOW_DAYS, chunk: int = 50_000) -> ChurnResult:
    """Churn risk of every customer with a completed order on or before as_of (features as of as_of),
    from the model trained and evaluated by train_evaluate; the baseline's rank on fallback."""
    model, train_frame, diag = train_evaluate(as_of=as_of, window_days=window_days)
    current = feature_frame(cut=as_of, window_days=window_days)
    keys = diag["features"]
    X = _columns(current, keys)
    if model is None:
        baseline = diag["fallback_detail"]["baseline"]
        score = _rank01(baseline_scores(current)[baseline])
        reasons = [[{"feature": "recency_days" if baseline == "recency_days" else "bgnbd_expected",
                     "direction": "up", "value": None if np.isnan(v) else round(float(v), 4), "typical": None,
                     "effect": None}]
                   for v in current.column(baseline)]
        return ChurnResult(customer_ids=current.customer_ids, probability=score, factors=reasons, diagnostics=diag)
    with np.errstate(all="ignore"):
        train_X = _columns(train_frame, keys)
        reference = np.nanmedian(train_X, axis=0) if len(train_X) else np.zeros(X.shape[1])
    probability = np.zeros(len(X))
    factors: list[list[dict[str, Any]]] = []
    with _threads():
        for start in range(0, len(X), chunk):
            part = X[start:start + chunk]
            p = model.predict_proba(part)[:, 1]
            probability[start:start + chunk] = p
            factors += _factors(model, part, keys, reference, p)
    diag["n_scored"] = int(len(X))
    return ChurnResult(customer_ids=current.customer_ids, probability=probability, factors=factors,
                       diagnostics=diag)
