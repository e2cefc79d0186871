"""`kehu insights_evaluate [--as-of DATE] [--window DAYS] [--json]`: how good the next-best-product
and churn models are on this database's own history (docs/analytics.md explains the method).

Next best product: hit rate at 3 on the orders of the last 90 days, held out, for each method and the
most-popular baseline. Churn risk: AUC and Brier score of the calibrated classifiers on held-out
customers and out of time, next to the baselines (days since last purchase, BG/NBD expected
purchases, and P(alive) — to show why it must not be used). Reads only; writes nothing.
"""

from __future__ import annotations

import json
import time
from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone

from core.commands import KehuCommand
from insights.churn import WINDOW_DAYS, evaluate_churn, fallback_message
from insights.recommend import evaluate_next_products


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


class Command(KehuCommand):
    help = "Evaluate the next-best-product and churn-risk models on held-out history (reads only)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--as-of", help="Evaluate as of this day (YYYY-MM-DD; default today).")
        parser.add_argument("--window", type=int, default=WINDOW_DAYS,
                            help=f"Churn window and hold-out in days (default {WINDOW_DAYS}).")
        parser.add_argument("--json", action="store_true", help="Print one JSON object instead of tables.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            as_of = date.fromisoformat(options["as_of"]) if options["as_of"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--as-of must be a date as YYYY-MM-DD, not {options['as_of']!r}.") from exc
        window = options["window"]
        if window < 7:
            raise CommandError("--window must be at least 7 days.")
        started = time.monotonic()
        products = evaluate_next_products(as_of=as_of, holdout_days=window)
        products["seconds"] = round(time.monotonic() - started, 1)
        started = time.monotonic()
        churn = evaluate_churn(as_of=as_of, window_days=window)
        churn["seconds"] = round(time.monotonic() - started, 1)
        if options["json"]:
            self.stdout.write(json.dumps({"next_products": products, "churn": churn}, ensure_ascii=False, indent=1))
            return
        self._products(products)
        self._churn(churn)

    def _products(self, d: dict[str, Any]) -> None:
        w = self.stdout.write
        w(f"Next best product — hit rate at {d['k']}, hold-out {d['holdout'][0]} … {d['holdout'][1]}")
        w(f"  customers with a new product in the hold-out: {d['customers_judged']:,} "
          f"({d['with_history']:,} with a history, {d['cold_start']:,} cold start); {d['products']} products offered")
        if not d["methods"]:
            w("  nothing to evaluate: no customer bought a new product in the hold-out.\n")
            return
        w(f"  {'method':<22}{'all':>8}  {'95% interval':<16}{'with history':>14}")
        for method, r in d["methods"].items():
            a, h = r["all"], r["with_history"]
            ci = f"{a['ci95'][0]:.3f}–{a['ci95'][1]:.3f}" if a["ci95"] else "—"
            w(f"  {method:<22}{_fmt(a['hit_rate']):>8}  {ci:<16}{_fmt(h['hit_rate']):>14}")
        w(f"  ({d['seconds']} s)\n")

    def _churn(self, d: dict[str, Any]) -> None:
        w = self.stdout.write
        t = d["trained_on"]
        w(f"Churn risk — no completed order within {d['window_days']} days; features as of {t['features_at']}, "
          f"labels {t['label_from']} … {t['label_to']}")
        w(f"  labelled customers: {d['n_labelled']:,}, churn rate {_fmt(d['churn_rate'])}")
        if d["fallback"] == "baseline_wins":
            w(f"  BASELINE CHOSEN: {fallback_message(d)}")
        elif d["fallback"]:
            w(f"  FALLBACK: {fallback_message(d)}")
            w("  baseline AUC on the labelled customers: " + ", ".join(
                f"{k} {_fmt(v)}" for k, v in d["baseline_aucs"].items()))
            w(f"  ({d['seconds']} s)")
            return
        w(f"  customer-level hold-out: {d['n_train']:,} training, {d['n_test']:,} test customers; "
          f"chosen on validation: {d['method']}")
        chosen = {**{m: r["validation_auc"] for m, r in d["models"].items()},
                  **{f"baseline:{k}": v for k, v in (d.get("baseline_validation_aucs") or {}).items()}}
        w("  validation AUC (the choice): " + ", ".join(f"{k} {_fmt(v)}" for k, v in chosen.items()))
        w(f"  {'score':<40}{'AUC':>7}{'Brier':>8}")
        for method, r in d["models"].items():
            mark = " *" if method == d["method"] else ""
            w(f"  {method + ' (calibrated)' + mark:<40}{_fmt(r['auc']):>7}{_fmt(r['brier']):>8}")
        labels = {"recency_days": "baseline: days since last purchase",
                  "bgnbd_expected": "baseline: BG/NBD expected purchases (−)",
                  "bgnbd_p_alive": "baseline: 1 − P(alive) (not to be used)"}
        for key, auc in d["baseline_aucs"].items():
            w(f"  {labels.get(key, key):<40}{_fmt(auc):>7}")
        if d.get("brier_reference") is not None:
            w(f"  {'reference: predict the churn rate':<40}{'':>7}{_fmt(d['brier_reference']):>8}")
        gain = d.get("gain_over_best_baseline")
        if gain:
            w(f"  AUC gain over the best baseline ({gain['baseline']}): {gain['auc_gain']:+.3f} "
              f"(95% paired bootstrap {gain['ci95'][0]:+.3f} … {gain['ci95'][1]:+.3f})")
        oot = d.get("out_of_time")
        if oot and "auc" in oot:
            w(f"  out of time (trained on features as of {oot['features_at']}, tested at {oot['tested_at']}, "
              f"{oot['n_test']:,} customers):")
            w(f"  {d['method'] + ' (calibrated)':<40}{_fmt(oot['auc']):>7}{_fmt(oot['brier']):>8}")
            for key, auc in oot["baseline_aucs"].items():
                w(f"  {labels.get(key, key):<40}{_fmt(auc):>7}")
        elif oot:
            w(f"  out of time: skipped ({oot.get('skipped')}).")
        if d["calibration"]:
            w("  calibration (predicted → observed, deciles): " + ", ".join(
                f"{p['predicted']:.2f}→{p['observed']:.2f}" for p in d["calibration"]))
        w(f"  ({d['seconds']} s)")
