"""Writes of the insights app: the scoring settings, and the scoring run that fits the models on
every customer's paid orders and stores everyone's scores (docs/analytics.md).

`scores_refresh` is the one scoring: the `kehu clv refresh` command, the background task (the
value page's "refresh now" button) and the nightly job all run it. It reads the order history in
one set-based query (insights.history), fits BG/NBD and Gamma-Gamma (time unit: weeks), computes
all scores vectorised with NumPy, and replaces the stored scores in bulk in one transaction.
"""

from __future__ import annotations

import logging
import time as clock
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from audit.services import change_record
from core import db
from core.models import diff_values, field_values
from insights.history import WEEK_DAYS, PurchaseHistory, purchase_history
from insights.math.bgnbd import (
    bgnbd_expected_purchases,
    bgnbd_fit,
    bgnbd_p_alive,
    bgnbd_probability_purchase,
)
from insights.math.clv import clv as clv_discounted
from insights.math.gamma_gamma import gamma_gamma_expected_spend, gamma_gamma_fit
from insights.models import CustomerScore, InsightSettings, RunStatus, ScoreRun
from insights.reasons import reasons_choose

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

# Weeks in an average month: the models run in weeks, the horizon and discount rate are monthly.
WEEKS_PER_MONTH = 365.25 / 12 / WEEK_DAYS
HOLDOUT_DAYS = 90
# Holdout groups by repeat purchases in the calibration period: 0, 1, …, 6 and "7+" (as in the papers).
HOLDOUT_GROUPS = 7
# Fewer customers than this, or fewer with a repeat purchase, and the models are not fitted.
MIN_CUSTOMERS = 20
MIN_REPEAT_CUSTOMERS = 5
WRITE_CHUNK = 20_000
# Roles that may start a scoring run from the value page.
REFRESH_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.ANALYST})
SETTINGS_FIELDS = ["horizon_months", "monthly_discount_rate", "period_days"]
# A queued or running run older than this is taken to be dead (worker killed) and no longer blocks a new one.
STALE_RUN = timedelta(hours=6)


# --- Settings ----------------------------------------------------------------------------------

def insight_settings_current() -> InsightSettings:
    """The settings row (defaults, unsaved, until an administrator first saves it)."""
    return InsightSettings.objects.filter(pk=1).first() or InsightSettings(pk=1)


def insight_settings_update(*, actor: Any, data: Mapping[str, Any]) -> InsightSettings:
    """Change the scoring settings (administrators only); validated, audited, one transaction.
    They apply from the next scoring run."""
    if actor is None or actor.effective_role != Role.ADMIN:
        raise PermissionDenied(_("Only administrators may change the scoring settings."))
    unknown = set(data) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationError({f: _("This field cannot be set here.") for f in sorted(unknown)})
    with transaction.atomic():
        current = InsightSettings.objects.select_for_update().filter(pk=1).first()
        instance = current or InsightSettings(pk=1)
        before = field_values(instance, SETTINGS_FIELDS) if current else {}
        for name, value in data.items():
            setattr(instance, name, value)
        instance.updated_by = actor
        instance.full_clean()
        instance.save()
        changes = diff_values(before, field_values(instance, SETTINGS_FIELDS))
        if changes:
            change_record(user=actor, instance=instance, action="update" if current else "create", changes=changes)
    return instance


# --- Starting a run ----------------------------------------------------------------------------

def may_refresh(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.effective_role in REFRESH_ROLES)


def score_run_active() -> ScoreRun | None:
    """The queued or running run, if one started recently enough to be alive."""
    since = timezone.now() - STALE_RUN
    return (
        ScoreRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING], created_at__gte=since)
        .order_by("-created_at").first()
    )


def scores_refresh_enqueue(*, actor: Any) -> ScoreRun:
    """Queue a scoring run as of today for the background worker (managers, administrators, analysts).
    Refused while another run is queued or running; the task is enqueued after commit."""
    if not may_refresh(actor):
        raise PermissionDenied(_("Your role may not start a scoring run."))
    from insights.tasks import scores_refresh_task

    with transaction.atomic():
        if score_run_active() is not None:
            raise ValidationError(_("A scoring run is already queued or running."), code="running")
        run = _run_new(as_of=timezone.localdate(), requested_by=actor, status=RunStatus.QUEUED)
        change_record(user=actor, instance=run, action="create", changes={"as_of": [None, str(run.as_of)]},
                      note="scores refresh requested")

        def enqueue() -> None:
            result = scores_refresh_task.enqueue(run.pk)
            ScoreRun.objects.filter(pk=run.pk).update(task_id=str(result.id)[:64])

        transaction.on_commit(enqueue)
    return run


def _run_new(*, as_of: date, requested_by: Any = None, status: str) -> ScoreRun:
    current = insight_settings_current()
    return ScoreRun.objects.create(
        as_of=as_of, status=status, requested_by=requested_by,
        horizon_months=current.horizon_months, monthly_discount_rate=float(current.monthly_discount_rate),
        period_days=current.period_days, time_unit="week",
    )


# --- The scoring -------------------------------------------------------------------------------

def scores_refresh(*, as_of: date | None = None, progress: Progress | None = None) -> ScoreRun:
    """Score every customer who has bought, as of `as_of` (default: today in the business time
    zone), and replace the stored scores. Returns the finished run; on failure the run is marked
    failed with the error and the exception propagates (the stored scores stay as they were)."""
    run = _run_new(as_of=as_of or timezone.localdate(), status=RunStatus.QUEUED)
    return score_run_execute(run_id=run.pk, progress=progress)


def score_run_execute(*, run_id: int, progress: Progress | None = None) -> ScoreRun:
    """Carry out a queued run (the background task's body)."""
    run = ScoreRun.objects.get(pk=run_id)
    if run.status not in (RunStatus.QUEUED, RunStatus.RUNNING):
        return run  # already carried out (a task delivered twice)
    started = clock.monotonic()
    run.status, run.started_at, run.error = RunStatus.RUNNING, timezone.now(), ""
    run.save(update_fields=["status", "started_at", "error"])

    def report(phase: str, done: int, total: int) -> None:
        if progress is not None:
            progress(phase, done, total)

    try:
        report("history", 0, 1)
        _progress_save(run, "history", 0, 1)
        history = purchase_history(as_of=run.as_of, holdout_days=HOLDOUT_DAYS)
        report("fit", 0, 3)
        _progress_save(run, "fit", 0, len(history))
        scored = score_history(
            history, horizon_months=run.horizon_months, monthly_discount_rate=run.monthly_discount_rate,
            period_days=run.period_days, progress=report,
        )
        _extras_add(run, history, scored, report)
        report("write", 0, len(history))
        _progress_save(run, "write", 0, len(history))
        with transaction.atomic():
            written = _scores_write(run, history, scored, report)
            run.status = RunStatus.DONE
            run.customers_scored = written
            run.bgnbd, run.gamma_gamma, run.holdout = scored.bgnbd, scored.gamma_gamma, scored.holdout
            run.finished_at = timezone.now()
            run.duration_seconds = round(clock.monotonic() - started, 3)
            run.progress = {"phase": "done", "done": written, "total": written}
            run.save()
    except Exception as exc:
        logger.exception("scoring run %s failed", run.pk)
        ScoreRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=_error_text(exc),
            duration_seconds=round(clock.monotonic() - started, 3),
        )
        raise
    report("done", written, written)
    return run


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)
    return f"{type(exc).__name__}: {exc}"[:2000]


def _progress_save(run: ScoreRun, phase: str, done: int, total: int) -> None:
    # Outside the write transaction, so the page polling for progress sees it at once.
    ScoreRun.objects.filter(pk=run.pk).update(progress={"phase": phase, "done": done, "total": total})


@dataclass
class Scored:
    """Every customer's scores (arrays aligned with the history) and the models' diagnostics."""

    expected_30: np.ndarray
    expected_90: np.ndarray
    p_alive: np.ndarray
    likelihood: np.ndarray
    expected_value: np.ndarray
    clv: np.ndarray
    call_score: np.ndarray
    mean_value: np.ndarray
    margin_share: np.ndarray
    reason_keys: np.ndarray
    reason_params: list[dict[str, Any]]
    bgnbd: dict[str, Any]
    gamma_gamma: dict[str, Any]
    holdout: dict[str, Any]
    churn_risk: np.ndarray | None = None
    churn_factors: list[list[dict[str, Any]]] | None = None
    next_products: list[list[dict[str, Any]]] | None = None
    extras: dict[str, Any] = field(default_factory=dict)


def score_history(
    history: PurchaseHistory, *, horizon_months: int, monthly_discount_rate: float, period_days: int,
    progress: Progress | None = None,
) -> Scored:
    """Fit the models on `history` and score every customer in it, vectorised. Raises a
    ValidationError (in the user's language) when there is too little data to fit."""
    n = len(history)
    repeaters = int(np.count_nonzero(history.days > 1))
    if n < MIN_CUSTOMERS or repeaters < MIN_REPEAT_CUSTOMERS:
        raise ValidationError(
            _("Too little purchase history to fit the models: %(customers)s customers have bought and "
              "%(repeat)s have bought again (at least %(min_customers)s and %(min_repeat)s are needed).")
            % {"customers": n, "repeat": repeaters, "min_customers": MIN_CUSTOMERS, "min_repeat": MIN_REPEAT_CUSTOMERS},
            code="too_little_data",
        )
    x, t_x, T = history.x, history.t_x, history.T  # noqa: N806
    m = history.mean_repeat_revenue
    share = history.margin_share

    fit = bgnbd_fit(x, t_x, T)
    params = fit.params
    if progress:
        progress("fit", 1, 3)
    # Gamma-Gamma: customers with a repeat purchase of positive value (its likelihood needs m > 0).
    valid_spend = (x >= 1) & (m > 0)
    gg_fit = gamma_gamma_fit(x, np.where(valid_spend, m, 1.0), weights=valid_spend.astype(float))
    gg = gg_fit.params
    correlation = float(np.corrcoef(x[valid_spend], m[valid_spend])[0, 1]) if valid_spend.sum() > 2 else None
    if progress:
        progress("fit", 2, 3)

    expected_30 = bgnbd_expected_purchases(params, 30 / WEEK_DAYS, x, t_x, T)
    expected_90 = bgnbd_expected_purchases(params, 90 / WEEK_DAYS, x, t_x, T)
    p_alive = bgnbd_p_alive(params, x, t_x, T)
    likelihood = bgnbd_probability_purchase(params, period_days / WEEK_DAYS, x, t_x, T)
    # A repeat buyer whose repeat purchases brought no revenue is expected to bring none.
    spend_ok = (x == 0) | valid_spend
    expected_value = np.where(spend_ok, gamma_gamma_expected_spend(gg, np.where(spend_ok, x, 0), m), 0.0)
    clv = np.zeros(n)
    clv[spend_ok] = clv_discounted(
        params, gg, x[spend_ok], t_x[spend_ok], T[spend_ok], m[spend_ok],
        horizon_months=horizon_months, monthly_discount_rate=monthly_discount_rate,
        periods_per_month=WEEKS_PER_MONTH, margin_share=share[spend_ok],
    )
    call_score = likelihood * expected_value * share

    silent = (history.as_of_day - history.last_day).astype(float)
    interval = np.divide(history.last_day - history.first_day, x, out=np.zeros(n), where=x > 0)
    keys, reason_params = reasons_choose(
        frequency=x.astype(int), interval_days=interval, silent_days=silent, likelihood=likelihood, clv=clv,
        period_days=period_days,
    )
    holdout = holdout_check(history)
    if progress:
        progress("fit", 3, 3)
    return Scored(
        expected_30=expected_30, expected_90=expected_90, p_alive=p_alive, likelihood=likelihood,
        expected_value=expected_value, clv=clv, call_score=call_score, mean_value=m, margin_share=share,
        reason_keys=keys, reason_params=reason_params,
        bgnbd={"r": params.r, "alpha": params.alpha, "a": params.a, "b": params.b,
               "log_likelihood": fit.log_likelihood, "customers": fit.customers, "converged": fit.converged},
        gamma_gamma={"p": gg.p, "q": gg.q, "gamma": gg.gamma, "log_likelihood": gg_fit.log_likelihood,
                     "customers": gg_fit.customers, "converged": gg_fit.converged,
                     "spend_frequency_correlation": correlation,
                     "population_mean": gg.p * gg.gamma / (gg.q - 1) if gg.q > 1 else None},
        holdout=holdout,
    )


def holdout_check(history: PurchaseHistory) -> dict[str, Any]:
    """Fit BG/NBD on the history up to the holdout window and compare its forecast of repeat
    purchases in the window with what happened, in total and by calibration frequency (0 … 6, 7+).
    {} with a "skipped" reason when the calibration data are too thin."""
    mask, x, t_x, T, actual = history.calibration()  # noqa: N806
    weeks = HOLDOUT_DAYS / WEEK_DAYS
    base = {"calibration_end": str(history.holdout_start - timedelta(days=1)), "holdout_end": str(history.as_of),
            "days": HOLDOUT_DAYS, "customers": int(mask.sum())}
    if len(x) < MIN_CUSTOMERS or np.count_nonzero(x > 0) < MIN_REPEAT_CUSTOMERS:
        return {**base, "skipped": "too_little_data"}
    try:
        fit = bgnbd_fit(x, t_x, T)
    except ValueError as exc:
        return {**base, "skipped": str(exc)}
    predicted = bgnbd_expected_purchases(fit.params, weeks, x, t_x, T)
    groups = []
    capped = np.minimum(x, HOLDOUT_GROUPS).astype(int)
    for g in range(HOLDOUT_GROUPS + 1):
        sel = capped == g
        if not sel.any():
            continue
        groups.append({
            "frequency": f"{g}+" if g == HOLDOUT_GROUPS else str(g), "customers": int(sel.sum()),
            "predicted": float(predicted[sel].mean()), "actual": float(actual[sel].mean()),
        })
    p = fit.params
    return {
        **base,
        "params": {"r": p.r, "alpha": p.alpha, "a": p.a, "b": p.b, "log_likelihood": fit.log_likelihood},
        "total": {"predicted": float(predicted.sum()), "actual": float(actual.sum())},
        "groups": groups,
    }


def _extras_add(run: ScoreRun, history: PurchaseHistory, scored: Scored, report: Progress) -> None:
    """Churn risk and next best products from their own modules (insights.churn, insights.recommend)."""
    # Filled in by _churn_add / _products_add when those modules are installed.
    for name, adder in (("churn", _churn_add), ("products", _products_add)):
        report(name, 0, 1)
        _progress_save(run, name, 0, 1)
        try:
            diagnostics = adder(history=history, scored=scored)
        except ImportError:
            diagnostics = {"status": "unavailable"}
        except (ValueError, ValidationError) as exc:
            logger.warning("scoring run %s: %s model skipped: %s", run.pk, name, exc)
            diagnostics = {"status": "skipped", "reason": _error_text(exc)}
        setattr(run, name, diagnostics)
        report(name, 1, 1)


def _rows_of(ids: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each id in `wanted`: its row in `ids` and whether it is there at all."""
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    pos = np.searchsorted(sorted_ids, wanted)
    inside = pos < len(sorted_ids)
    found = np.zeros(len(wanted), dtype=bool)
    found[inside] = sorted_ids[pos[inside]] == wanted[inside]
    rows = np.where(found, order[np.minimum(pos, len(order) - 1)], -1) if len(order) else np.full(len(wanted), -1)
    return rows, found


def _churn_add(*, history: PurchaseHistory, scored: Scored) -> dict[str, Any]:
    """Churn risk and its top factors per scored customer (insights.churn), and the model's diagnostics."""
    from insights.churn import churn_scores

    result = churn_scores(as_of=history.as_of)
    rows, found = _rows_of(np.asarray(result.customer_ids, dtype=np.int64), history.customer_id)
    risk = np.full(len(history), np.nan)
    risk[found] = np.asarray(result.probability, dtype=float)[rows[found]]
    scored.churn_risk = risk
    scored.churn_factors = [result.factors[r] if ok else [] for r, ok in zip(rows, found, strict=True)]
    return {"status": "done", **result.diagnostics}


def _products_add(*, history: PurchaseHistory, scored: Scored) -> dict[str, Any]:
    """The next best products per scored customer (insights.recommend), with the product names
    (and the names of the products behind an association) stored so pages need no query."""
    from commerce.models import Product
    from insights.recommend import next_products

    result = next_products(as_of=history.as_of, k=3)
    rows, found = _rows_of(np.asarray(result.customer_ids, dtype=np.int64), history.customer_id)
    used = np.unique(np.concatenate([result.product_ids[rows[found]].ravel(),
                                     result.because_of[rows[found]].ravel()])) if found.any() else np.array([])
    names = dict(Product.objects.filter(pk__in=[int(i) for i in used if i >= 0]).values_list("pk", "name"))
    products: list[list[dict[str, Any]]] = []
    for r, ok in zip(rows, found, strict=True):
        if not ok:
            products.append([])
            continue
        items = result.reasons_for(int(r))
        for c, item in enumerate(items):
            item["name"] = names.get(item["product_id"], "")
            item["score"] = round(float(result.scores[r, c]), 4)
            if item.get("because_of") is not None:
                item["because_of_name"] = names.get(item["because_of"], "")
        products.append(items)
    scored.next_products = products
    return {"status": "done", **result.diagnostics}


SCORE_COLUMNS = (
    "customer_id", "run_id", "frequency", "recency_weeks", "age_weeks", "first_purchase", "last_purchase",
    "mean_order_value", "margin_share", "expected_purchases_30", "expected_purchases_90", "p_alive",
    "purchase_likelihood", "expected_order_value", "clv", "churn_risk", "churn_factors", "next_products",
    "call_score", "value_at_risk", "reason_key", "reason_params",
)


def _nullable(values: np.ndarray | None, n: int) -> list[float | None]:
    """Floats with None where the value is missing (NaN) or the whole column is absent."""
    if values is None:
        return [None] * n
    return [v if v == v else None for v in values.tolist()]  # v != v only for NaN


def _scores_write(run: ScoreRun, history: PurchaseHistory, s: Scored, report: Progress) -> int:
    """Replace every stored score with this run's, in chunks (inside the caller's transaction, so
    readers see the old scores until the new ones are all written). Columns are turned into Python
    lists once (tolist) and zipped into rows: no per-value conversion in a Python loop."""
    CustomerScore.objects.all().delete()
    n = len(history)
    x = history.x
    churn = s.churn_risk
    columns = [
        history.customer_id.tolist(), [run.pk] * n, x.astype(np.int64).tolist(), history.t_x.tolist(),
        history.T.tolist(), history.first_day.astype("datetime64[D]").tolist(),
        history.last_day.astype("datetime64[D]").tolist(),
        _nullable(np.where(x > 0, s.mean_value, np.nan), n), s.margin_share.tolist(),
        s.expected_30.tolist(), s.expected_90.tolist(), s.p_alive.tolist(), s.likelihood.tolist(),
        s.expected_value.tolist(), s.clv.tolist(), _nullable(churn, n),
        s.churn_factors if s.churn_factors is not None else [[] for _ in range(n)],
        s.next_products if s.next_products is not None else [[] for _ in range(n)],
        s.call_score.tolist(), _nullable(churn * s.clv if churn is not None else None, n),
        [str(k) for k in s.reason_keys], s.reason_params,
    ]
    rows = list(zip(*columns, strict=True))
    written = 0
    for start in range(0, n, WRITE_CHUNK):
        written += db.insert_rows(CustomerScore, SCORE_COLUMNS, rows[start:start + WRITE_CHUNK])
        report("write", written, n)
    return written
