"""`kehu retention fit` (the shifted-beta-geometric model on a cohort's survivor counts) and `kehu retention refresh`
(the churn figures and cohort table the churn page reads).

    kehu retention fit --survivors 1000,869,743,653,593,551,517,491 [--periods N] [--discount D] [--json]
    kehu retention refresh [--as-of DATE]

Messages follow the user's language (the environment's, as `kehu clv`).
"""

from __future__ import annotations

import json
import math
from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from core.commands import KehuCommand
from retention.churn_text import survivors_message
from retention.sbg import SBGFit, SurvivorsError, sbg_fit

# The projection's default length: as long as the paper's (12 years from 7 observed) and never shorter than the data.
DEFAULT_PERIODS = 12
MAX_PERIODS = 1000
DEFAULT_DISCOUNT = 0.10


def parse_survivors(text: str) -> list[float]:
    """"1000,869,743" → [1000.0, 869.0, 743.0]; CommandError naming the bad item."""
    items = [item.strip() for item in text.replace("，", ",").split(",")]
    values: list[float] = []
    for position, item in enumerate(items, start=1):
        try:
            value = float(item)
        except ValueError:
            raise CommandError(_("Survivor count %(position)d, “%(value)s”, is not a number.")
                               % {"position": position, "value": item}) from None
        if not math.isfinite(value):
            raise CommandError(_("Survivor count %(position)d, “%(value)s”, is not a number.")
                               % {"position": position, "value": item})
        values.append(value)
    return values


def fit_or_error(survivors: list[float]) -> SBGFit:
    try:
        return sbg_fit(survivors)
    except SurvivorsError as exc:
        raise CommandError(survivors_message(exc)) from exc


class Command(KehuCommand):
    help = "Fit the shifted-beta-geometric retention model to survivor counts, or refresh the churn figures."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        fit = sub.add_parser("fit", help="Fit the sBG model to one cohort's survivors and project it.")
        fit.add_argument("--survivors", required=True,
                         help="Comma-separated counts still active after 0, 1, 2 … periods (e.g. 1000,869,743,653).")
        fit.add_argument("--periods", type=int, default=None,
                         help=f"Project S(t) for t = 0 … N (default {DEFAULT_PERIODS}, at least the data's length).")
        fit.add_argument("--discount", type=float, default=DEFAULT_DISCOUNT,
                         help="Discount rate per period for the discounted expected residual lifetime (default 0.10).")
        fit.add_argument("--json", action="store_true", help="Print one JSON object.")
        refresh = sub.add_parser("refresh", help="Recompute the stored churn figures and cohort table.")
        refresh.add_argument("--as-of", metavar="DATE", help="Compute as of this day (YYYY-MM-DD; default today).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "fit":
            self._fit(options)
        else:
            self._refresh(options.get("as_of"))

    def _fit(self, options: dict[str, Any]) -> None:
        survivors = parse_survivors(options["survivors"])
        fit = fit_or_error(survivors)
        periods = options["periods"]
        if periods is None:
            periods = max(DEFAULT_PERIODS, len(survivors) - 1)
        if periods < 0 or periods > MAX_PERIODS:
            raise CommandError(_("--periods must be between 0 and %(max)d.") % {"max": MAX_PERIODS})
        discount = options["discount"]
        if not (math.isfinite(discount) and discount > 0):
            raise CommandError(_("--discount must be a rate above 0, such as 0.1."))
        projection = fit.survival(periods)
        if options["json"]:
            self.stdout.write(json.dumps({"alpha": fit.alpha, "beta": fit.beta, "log_likelihood": fit.log_likelihood,
                                          "projection": [float(s) for s in projection]}))
            return
        self.stdout.write(_("Shifted-beta-geometric fit to %(periods)d periods of a cohort of %(size)s:") % {
            "periods": fit.periods_fitted, "size": f"{survivors[0]:,.0f}"})
        self.stdout.write(f"  α = {fit.alpha:.4f}   β = {fit.beta:.4f}   "
                          + _("log-likelihood %(ll).2f") % {"ll": fit.log_likelihood})
        lifetime = fit.expected_lifetime()
        if math.isinf(lifetime):
            self.stdout.write("  " + _("Expected lifetime of a new customer: unbounded (α ≤ 1: a core of customers "
                                       "almost never leaves); use the discounted figure."))
        else:
            self.stdout.write("  " + _("Expected lifetime of a new customer: %(periods).2f periods.")
                              % {"periods": lifetime})
        self.stdout.write("  " + _("Discounted expected residual lifetime at %(rate)s per period: %(periods).2f "
                                   "periods (new customer); %(later).2f after %(k)d renewals.") % {
            "rate": f"{discount:g}", "periods": fit.derl(discount), "later": fit.derl(discount, fit.periods_fitted),
            "k": fit.periods_fitted})
        retention = fit.retention(max(periods, 1))
        self.stdout.write("")
        headings = (_("actual"), _("projected"), _("share"), _("retention"))
        self.stdout.write(f"  {'t':>4}  {headings[0]:>10}  {headings[1]:>10}  {headings[2]:>8}  {headings[3]:>9}")
        for t, share in enumerate(projection):
            actual = f"{survivors[t]:,.0f}" if t < len(survivors) else ""
            r = f"{retention[t - 1]:.3f}" if t >= 1 else ""
            mark = "" if t < len(survivors) else " *"
            self.stdout.write(f"  {t:>4}  {actual:>10}  {share * survivors[0]:>10,.1f}  {share:>8.4f}  {r:>9}{mark}")
        if periods >= len(survivors):
            self.stdout.write("  " + _("* beyond the data: projected."))

    def _refresh(self, as_of_text: str | None) -> None:
        from retention.services_churn import churn_refresh
        from segmentation.refresh import business_today

        as_of = None
        if as_of_text is not None:
            try:
                as_of = date.fromisoformat(as_of_text.strip())
            except ValueError:
                raise CommandError(_("Not a date: %(value)s (write it as YYYY-MM-DD).")
                                   % {"value": as_of_text}) from None
            if as_of > business_today():
                raise CommandError(_("The as-of day %(day)s is in the future.") % {"day": as_of.isoformat()})
        result = churn_refresh(as_of=as_of)
        self.stdout.write(_("Churn figures as of %(day)s: %(months)d months, %(rows)s rows, in %(seconds).1f s.") % {
            "day": result.as_of.isoformat(), "months": result.months, "rows": f"{result.rows:,}",
            "seconds": result.seconds})
