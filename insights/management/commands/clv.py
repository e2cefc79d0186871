"""`kehu clv fit` (fit BG/NBD + Gamma-Gamma on any transaction file, without importing it) and `kehu clv refresh`
(score the database's customers).

    kehu clv fit --transactions FILE --customer-col C --date-col D --amount-col A [--date-format F]
                 [--calibration-end DATE] [--holdout-end DATE] [--time-unit day|week|month] [--json]
    kehu clv refresh [--as-of DATE]

Files: CSV (comma, semicolon or tab; UTF-8 with or without BOM, or GB18030) with a header row, or whitespace-separated
text such as the CDNOW sample. Columns are named by header or by number (1 = first); when all three are numbers and
the first row's date cell is a date, the file is read as having no header. Messages follow the user's language:
the environment's (LANGUAGE, LC_ALL, LC_MESSAGES, LANG; core.commands.environment_language), else the site's.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sys
import unicodedata
from argparse import ArgumentParser
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from core.commands import KehuCommand, environment_language
from insights.math.bgnbd import BGNBDFit, bgnbd_expected_purchases, bgnbd_fit
from insights.math.gamma_gamma import GammaGammaFit, gamma_gamma_fit
from insights.math.summary import Summary, count_transactions, summarise_transactions

TIME_UNITS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}
EPOCH = dt.date(1970, 1, 1)
# Tried in order on the first data row when no --date-format is given.
AUTO_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
                     "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y.%m.%d", "%Y年%m月%d日")
# Below this many repeat buyers the text report warns that the estimates are unreliable.
FEW_REPEAT_BUYERS = 100
GROUPS = 8  # holdout table rows: 0, 1, …, 6 and "7+" repeat purchases in the calibration period (as in FHL 2005)


@dataclass
class Transactions:
    """The three columns of a transaction file, parsed: customer ids, day numbers (days since 1970-01-01), amounts."""

    customer_ids: np.ndarray
    days: np.ndarray
    amounts: np.ndarray


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CommandError(_("The file is neither UTF-8 nor GB18030 text."))


def _rows(text: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every non-blank line; CSV when the first line has a comma, semicolon or tab."""
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    delimiter = next((d for d in ("\t", ",", ";") if d in first), None)
    if delimiter is None:
        return [(n, line.split()) for n, line in enumerate(lines, start=1) if line.strip()]
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    out = []
    for cells in reader:
        # Cells are stripped only in the columns used (read_transactions); a row of empty cells is a blank line.
        if cells and (len(cells) > 1 or cells[0].strip()):
            out.append((reader.line_num, cells))
    return out


# 1,234.50 (thousands separators), optionally after a currency sign; "12,50" is NOT read as 12.5 or 1250.
_GROUPED = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$")


def _amount(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        pass
    text = value.strip().lstrip("¥￥$€£").strip()
    if _GROUPED.match(text):
        text = text.replace(",", "")
    return float(text)


def _date_parser(fmt: str | None, sample: str):
    """A function text → day number for the given format, or for the first automatic format that reads `sample`."""
    def make(f: str):
        cache: dict[str, int] = {}

        def parse(value: str) -> int:
            day = cache.get(value)
            if day is None:
                day = (dt.datetime.strptime(value, f).date() - EPOCH).days
                cache[value] = day
            return day
        return parse

    if fmt:
        return make(fmt), fmt
    for f in AUTO_DATE_FORMATS:
        try:
            dt.datetime.strptime(sample, f)
        except ValueError:
            continue
        return make(f), f
    return None, None


def _column_index(spec: str, header: list[str] | None, label: str) -> int:
    if spec.isdigit() and int(spec) >= 1:
        return int(spec) - 1
    if header is None:
        raise CommandError(_("Column “%(column)s” (%(role)s) is not a column number, and the file has no header row.")
                           % {"column": spec, "role": label})
    names = [h.strip() for h in header]
    for candidates in (names, [n.casefold() for n in names]):
        key = spec.strip() if candidates is names else spec.strip().casefold()
        if key in candidates:
            return candidates.index(key)
    raise CommandError(_("The file has no column “%(column)s” (%(role)s). Its columns: %(columns)s.")
                       % {"column": spec, "role": label, "columns": ", ".join(names)})


def read_transactions(path: Path, *, customer_col: str, date_col: str, amount_col: str,
                      date_format: str | None) -> Transactions:
    """Parse the file; CommandError naming the row (line number) and column of the first bad cell."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CommandError(_("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror}) from exc
    rows = _rows(_decode(raw))
    if not rows:
        raise CommandError(_("The file %(path)s is empty.") % {"path": path})
    specs = (customer_col, date_col, amount_col)
    has_header = True
    if all(s.isdigit() and int(s) >= 1 for s in specs):
        first_cells = rows[0][1]
        d = int(date_col) - 1
        sample = first_cells[d].strip() if d < len(first_cells) else ""
        parser, _fmt = _date_parser(date_format, sample)
        if parser is not None:
            try:
                parser(sample)
                has_header = False
            except (ValueError, IndexError):
                has_header = True
    header = rows[0][1] if has_header else None
    data = rows[1:] if has_header else rows
    if not data:
        raise CommandError(_("The file %(path)s has no data rows.") % {"path": path})
    roles = (_("customer"), _("date"), _("amount"))
    idx = [_column_index(s, header, r) for s, r in zip(specs, roles, strict=True)]
    names = [header[i] if header is not None and i < len(header) else str(i + 1) for i in idx]
    if header is not None:
        for i, spec, role in zip(idx, specs, roles, strict=True):
            if i >= len(header):
                raise CommandError(_("The file has no column %(column)s (%(role)s): it has %(count)d columns.")
                                   % {"column": spec, "role": role, "count": len(header)})
    first_date = data[0][1][idx[1]].strip() if idx[1] < len(data[0][1]) else ""
    parse_date, fmt = _date_parser(date_format, first_date)
    if parse_date is None:
        raise CommandError(_("Row %(row)d, column “%(column)s”: “%(value)s” is not a date in a format I know; give "
                             "it with --date-format (for example %%Y-%%m-%%d or %%Y%%m%%d).")
                           % {"row": data[0][0], "column": names[1], "value": first_date})
    return _columns(data, idx, names, parse_date, fmt)


def _columns(data: list[tuple[int, list[str]]], idx: list[int], names: list[str], parse_date: Any,
             fmt: str | None) -> Transactions:
    """The three columns as arrays, checked column by column; the error names the first bad row in file order."""
    width = max(idx) + 1
    problems: list[tuple[int, str]] = []  # (position in data, message)

    def first(bad: Any, message: Any) -> None:
        pos = next((i for i, b in enumerate(bad) if b), None)
        if pos is not None:
            problems.append((pos, message(pos)))

    short = next((i for i, (_line, cells) in enumerate(data) if len(cells) < width), None)
    if short is not None:
        data = data[:short + 1]  # everything after a short row is checked only up to it
    cols = [[(cells[i].strip() if i < len(cells) else "") for _line, cells in data] for i in idx]
    for col, name in zip(cols, names, strict=True):
        first((v == "" for v in col), lambda pos, name=name: _("Row %(row)d, column “%(column)s”: the value is "
                                                               "missing.") % {"row": data[pos][0], "column": name})
    day_of: dict[str, int | None] = {}
    for value in set(cols[1]):
        try:
            day_of[value] = parse_date(value) if value else 0
        except ValueError:
            day_of[value] = None
    first((day_of[v] is None for v in cols[1]),
          lambda pos: _("Row %(row)d, column “%(column)s”: “%(value)s” is not a date (expected the format "
                        "%(format)s).") % {"row": data[pos][0], "column": names[1], "value": cols[1][pos],
                                          "format": fmt})
    amounts = np.empty(len(data))
    for pos, value in enumerate(cols[2]):
        try:
            amounts[pos] = _amount(value) if value else 0.0
        except ValueError:
            amounts[pos] = np.nan
    first(~np.isfinite(amounts), lambda pos: _("Row %(row)d, column “%(column)s”: “%(value)s” is not a number.")
          % {"row": data[pos][0], "column": names[2], "value": cols[2][pos]})
    first(amounts < 0, lambda pos: _("Row %(row)d, column “%(column)s”: the amount %(value)s is negative. Returns "
                                     "and refunds cannot be modelled as purchases: net them off the original "
                                     "purchase or leave them out.")
          % {"row": data[pos][0], "column": names[2], "value": cols[2][pos]})
    if short is not None:
        missing = next(names[k] for k, i in enumerate(idx) if i >= len(data[short][1]))
        problems.append((short, _("Row %(row)d, column “%(column)s”: the value is missing.")
                         % {"row": data[short][0], "column": missing}))
    if problems:
        raise CommandError(min(problems, key=lambda p: p[0])[1])
    days = np.fromiter((day_of[v] for v in cols[1]), dtype=np.int64, count=len(data))
    return Transactions(np.array(cols[0]), days, amounts)


def _parse_day(value: str | None, option: str) -> int | None:
    if value is None:
        return None
    try:
        return (dt.date.fromisoformat(value) - EPOCH).days
    except ValueError as exc:
        raise CommandError(_("%(option)s: “%(value)s” is not a date (YYYY-MM-DD).")
                           % {"option": option, "value": value}) from exc


def _pad(text: str, width: int) -> str:
    """Right-align for a terminal: CJK characters take two columns."""
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return " " * max(width - shown, 0) + text


def _day_text(day: int) -> str:
    return (EPOCH + dt.timedelta(days=int(day))).isoformat()


@dataclass
class FitResult:
    """Everything `kehu clv fit` reports."""

    summary: Summary
    bgnbd: BGNBDFit
    gamma_gamma: GammaGammaFit | None
    gamma_gamma_error: str | None
    calibration_end: int
    holdout_end: int | None
    holdout_length: float | None
    predicted: np.ndarray | None
    actual: np.ndarray | None


def fit_file(tx: Transactions, *, calibration_end: int | None, holdout_end: int | None,
             time_unit: str) -> FitResult:
    """Summarise to the calibration end, fit both models, and compare with the holdout period when there is one."""
    unit = TIME_UNITS[time_unit]
    cal_end = int(tx.days.max()) if calibration_end is None else calibration_end
    summary = summarise_transactions(tx.customer_ids, tx.days, tx.amounts, calibration_end_day=cal_end,
                                     time_unit_days=unit)
    if len(summary) == 0:
        raise CommandError(_("No purchase falls on or before the calibration end %(date)s.")
                           % {"date": _day_text(cal_end)})
    try:
        bg = bgnbd_fit(summary.x, summary.t_x, summary.T)
    except ValueError as exc:
        raise CommandError(_("The BG/NBD model cannot be fitted: no customer bought again within the calibration "
                             "period (purchases on the same day count as one).")) from exc
    gg, gg_error = None, None
    # Customers whose repeat purchases are all worth 0 say nothing about spend (and m = 0 has no density).
    spend_ok = (summary.x > 0) & (summary.m > 0)
    try:
        gg = gamma_gamma_fit(summary.x, np.where(spend_ok, summary.m, 1.0), weights=spend_ok.astype(float))
    except ValueError:
        gg_error = _("The Gamma-Gamma spend model needs at least two customers with a repeat purchase of positive "
                     "value.")
    predicted = actual = None
    length = None
    if holdout_end is not None:
        length = (holdout_end - cal_end) / unit
        predicted = bgnbd_expected_purchases(bg.params, length, summary.x, summary.t_x, summary.T)
        actual = count_transactions(tx.customer_ids, tx.days, after_day=cal_end, through_day=holdout_end,
                                    customers=summary.customer_id)
    return FitResult(summary, bg, gg, gg_error, cal_end, holdout_end, length, predicted, actual)


def result_json(res: FitResult) -> dict[str, Any]:
    """The one JSON object of `--json`."""
    b = res.bgnbd
    out: dict[str, Any] = {
        "customers": len(res.summary),
        "bgnbd": {"r": b.params.r, "alpha": b.params.alpha, "a": b.params.a, "b": b.params.b,
                  "log_likelihood": b.log_likelihood},
        "gamma_gamma": None,
    }
    if res.gamma_gamma is not None:
        g = res.gamma_gamma
        out["gamma_gamma"] = {"p": g.params.p, "q": g.params.q, "gamma": g.params.gamma,
                              "log_likelihood": g.log_likelihood}
    if res.predicted is not None and res.actual is not None:
        out["holdout"] = {"predicted": float(res.predicted.sum()), "actual": int(res.actual.sum())}
    return out


def _not_converged(fit: dict[str, Any]) -> str:
    return "" if fit.get("converged", True) else _(" (the optimiser did not converge)")


def _bgnbd_line(fit: dict[str, Any]) -> str:
    """The fitted BG/NBD model in one sentence: `clv fit` and the stored run shown by `clv refresh` say it alike."""
    return (_("BG/NBD: r = %(r).4f, alpha = %(alpha).4f, a = %(a).4f, b = %(b).4f; log-likelihood %(ll).2f%(warn)s")
            % {"r": fit["r"], "alpha": fit["alpha"], "a": fit["a"], "b": fit["b"], "ll": fit["log_likelihood"],
               "warn": _not_converged(fit)})


def _gamma_gamma_line(fit: dict[str, Any]) -> str:
    """The fitted Gamma-Gamma model in one sentence (as `_bgnbd_line`)."""
    return (_("Gamma-Gamma: p = %(p).4f, q = %(q).4f, gamma = %(gamma).4f; log-likelihood %(ll).2f "
              "(%(n)d repeat buyers)%(warn)s")
            % {"p": fit["p"], "q": fit["q"], "gamma": fit["gamma"], "ll": fit["log_likelihood"],
               "n": fit["customers"], "warn": _not_converged(fit)})


class Command(KehuCommand):
    # Option help is English, as for every kehu command; what the command reports follows the user's language.
    help = "Customer lifetime value models: fit them on a transaction file, or score the database's customers."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{fit,refresh}")
        fit = sub.add_parser(
            "fit", help="Fit BG/NBD and Gamma-Gamma on a transaction file (nothing is imported).",
            description="Fit BG/NBD (purchases) and Gamma-Gamma (spend) by maximum likelihood on a transaction file. "
                        "Purchases by one customer on one day count as one transaction.")
        fit.add_argument("--transactions", required=True, metavar="FILE",
                         help="CSV (header row) or whitespace-separated text file, one purchase per row.")
        fit.add_argument("--customer-col", required=True, metavar="C", help="Customer column: header or number.")
        fit.add_argument("--date-col", required=True, metavar="D", help="Purchase date column: header or number.")
        fit.add_argument("--amount-col", required=True, metavar="A", help="Amount column: header or number.")
        fit.add_argument("--date-format", metavar="F", help="strftime format of the dates, e.g. %%Y%%m%%d "
                                                             "(default: detected from the first row).")
        fit.add_argument("--calibration-end", metavar="DATE",
                         help="Last day of the calibration period, YYYY-MM-DD (default: the last date in the file).")
        fit.add_argument("--holdout-end", metavar="DATE",
                         help="Last day of the holdout period, YYYY-MM-DD: compare predicted and actual purchases.")
        fit.add_argument("--time-unit", choices=sorted(TIME_UNITS), default="week",
                         help="Unit of t_x, T and α (default week, as in the papers).")
        fit.add_argument("--json", action="store_true", help="Print one JSON object.")
        refresh = sub.add_parser("refresh", help="Score every customer in the database now (BG/NBD, CLV, churn…).")
        refresh.add_argument("--as-of", metavar="DATE", help="Score as of this day, YYYY-MM-DD (default today).")

    def handle(self, *args: Any, **options: Any) -> None:
        # `kehu` already speaks the environment's language; this keeps it for call_command() too.
        with translation.override(environment_language()):
            if options["action"] == "refresh":
                self._refresh(options)
            else:
                self._fit(options)

    def _fit(self, options: dict[str, Any]) -> None:
        path = Path(options["transactions"])
        if not path.is_file():
            raise CommandError(_("No file %(path)s.") % {"path": path})
        cal_end = _parse_day(options["calibration_end"], "--calibration-end")
        hold_end = _parse_day(options["holdout_end"], "--holdout-end")
        if hold_end is not None and cal_end is None:
            raise CommandError(_("--holdout-end needs --calibration-end: the holdout period starts the day after it."))
        if hold_end is not None and cal_end is not None and hold_end <= cal_end:
            raise CommandError(_("--holdout-end must be after --calibration-end."))
        tx = read_transactions(path, customer_col=options["customer_col"], date_col=options["date_col"],
                               amount_col=options["amount_col"], date_format=options["date_format"])
        res = fit_file(tx, calibration_end=cal_end, holdout_end=hold_end, time_unit=options["time_unit"])
        if options["json"]:
            self.stdout.write(json.dumps(result_json(res)))
            return
        self._report(res, options["time_unit"])

    def _report(self, res: FitResult, unit: str) -> None:
        s, b = res.summary, res.bgnbd
        w = self.stdout.write
        unit_name = {"day": _("days"), "week": _("weeks"), "month": _("months")}[unit]
        w(_("Customers: %(n)d (repeat buyers: %(repeat)d); calibration period to %(end)s; time unit: %(unit)s.")
          % {"n": len(s), "repeat": int((s.x > 0).sum()), "end": _day_text(res.calibration_end), "unit": unit_name})
        w(_bgnbd_line({"r": b.params.r, "alpha": b.params.alpha, "a": b.params.a, "b": b.params.b,
                       "log_likelihood": b.log_likelihood, "converged": b.converged}))
        repeat = int((s.x > 0).sum())
        if repeat < FEW_REPEAT_BUYERS:
            w(_("Warning: only %(n)d customers bought more than once; with so little data the parameters are "
                "unreliable (a few hundred repeat buyers are a reasonable minimum).") % {"n": repeat})
        if res.gamma_gamma is not None:
            g = res.gamma_gamma
            w(_gamma_gamma_line({"p": g.params.p, "q": g.params.q, "gamma": g.params.gamma,
                                 "log_likelihood": g.log_likelihood, "customers": g.customers,
                                 "converged": g.converged}))
        else:
            w(_("Gamma-Gamma: not fitted. %(reason)s") % {"reason": res.gamma_gamma_error})
        if res.predicted is None or res.actual is None:
            return
        w("")
        w(_("Holdout %(start)s to %(end)s (%(length).2f %(unit)s): repeat purchases per customer, by repeat "
            "purchases in the calibration period")
          % {"start": _day_text(res.calibration_end + 1), "end": _day_text(res.holdout_end or 0),
             "length": res.holdout_length, "unit": unit_name})
        w(" ".join(_pad(h, n) for h, n in ((_("repeat purchases"), 18), (_("customers"), 10), (_("actual"), 10),
                                            (_("predicted"), 10))))
        group = np.minimum(s.x, GROUPS - 1).astype(int)
        for k in range(GROUPS):
            sel = group == k
            if not sel.any():
                continue
            label = f"{k}+" if k == GROUPS - 1 else str(k)
            w(f"{label:>18} {int(sel.sum()):>10} {res.actual[sel].mean():>10.3f} {res.predicted[sel].mean():>10.3f}")
        w(_("Total: actual %(actual)d, predicted %(predicted).1f repeat purchases (%(diff)+.1f%%).")
          % {"actual": int(res.actual.sum()), "predicted": float(res.predicted.sum()),
             "diff": 100 * (res.predicted.sum() / max(res.actual.sum(), 1) - 1)})

    def _refresh(self, options: dict[str, Any]) -> None:
        from insights.services import scores_refresh

        as_of = None
        if options.get("as_of"):
            try:
                as_of = dt.date.fromisoformat(options["as_of"])
            except ValueError as exc:
                raise CommandError(_("--as-of: “%(value)s” is not a date (YYYY-MM-DD).")
                                   % {"value": options["as_of"]}) from exc

        def progress(phase: str, done: int, total: int) -> None:
            if sys.stderr.isatty():
                sys.stderr.write(f"\r{phase}: {done}/{total}   ")
                sys.stderr.flush()

        try:
            run = scores_refresh(as_of=as_of, progress=progress)
        except Exception as exc:  # the run is marked failed by the service; report why and exit non-zero
            raise CommandError(_("The scoring run failed: %(error)s") % {"error": exc}) from exc
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        self.stdout.write(str(run))
        for field in ("status", "as_of", "customers_scored", "duration_seconds"):
            display = getattr(run, f"get_{field}_display", None)
            value = display() if callable(display) else getattr(run, field, None)
            if value not in (None, ""):
                self.stdout.write(f"  {self._label(run, field)}: {value}")
        self._refresh_models(run)

    @staticmethod
    def _label(run: Any, field: str) -> str:
        try:
            return str(run._meta.get_field(field).verbose_name)
        except Exception:  # not a model (or no such field): the attribute name will do
            return field

    def _refresh_models(self, run: Any) -> None:
        """The fitted models and the holdout check of a finished run, in the same words as `clv fit`."""
        bg = getattr(run, "bgnbd", None) or {}
        self._stored_line(run, "bgnbd", bg,
                          _bgnbd_line(bg) if {"r", "alpha", "a", "b", "log_likelihood"} <= set(bg) else None)
        gg = getattr(run, "gamma_gamma", None) or {}
        self._stored_line(run, "gamma_gamma", gg, _gamma_gamma_line(gg)
                          if {"p", "q", "gamma", "log_likelihood", "customers"} <= set(gg) else None)
        holdout = getattr(run, "holdout", None) or {}
        total = holdout.get("total") if isinstance(holdout, dict) else None
        text = None
        if isinstance(total, dict) and {"predicted", "actual"} <= set(total):
            actual, predicted = float(total["actual"]), float(total["predicted"])
            text = (f"{self._label(run, 'holdout')} ({holdout.get('calibration_end', '')} – "
                    f"{holdout.get('holdout_end', '')}): "
                    + _("Total: actual %(actual)d, predicted %(predicted).1f repeat purchases (%(diff)+.1f%%).")
                    % {"actual": round(actual), "predicted": predicted,
                       "diff": 100 * (predicted / max(actual, 1) - 1)})
        self._stored_line(run, "holdout", holdout, text)

    def _stored_line(self, run: Any, field: str, stored: Any, text: str | None) -> None:
        """One stored result of the run: in words when it holds what the sentence needs, else as stored (JSON),
        so that an older or partial result is still shown rather than hidden."""
        if text is not None:
            self.stdout.write("  " + text)
        elif stored:
            self.stdout.write(f"  {self._label(run, field)}: {json.dumps(stored, ensure_ascii=False, default=str)}")
