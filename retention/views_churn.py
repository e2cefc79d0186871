"""The churn page (`/retention/`): churn rate by month or quarter, its breakdown, the margin lost, the cohort
triangle with its retention curves and sBG fits, and the customers with the most value at stake. Every chart's
numbers download as CSV or XLSX (`/retention/export/?table=…&format=csv|xlsx` with the page's query). Thin: reads
through retention.selectors_churn (scoped to the viewer)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from core.tabular import FORMATS, download
from retention import selectors_churn as sel
from retention.models.churn import ChurnDimension


@dataclass
class Options:
    period: str
    dimension: str
    at: int | None


def _options(request: HttpRequest) -> Options:
    """The page's choices from the query string; anything unknown falls back to the default."""
    period = request.GET.get("period", "month")
    if period not in sel.PERIODS:
        period = "month"
    dimension = request.GET.get("by", ChurnDimension.REASON)
    if dimension not in ChurnDimension.values or dimension == ChurnDimension.ALL:
        dimension = ChurnDimension.REASON
    try:
        at: int | None = int(request.GET.get("at", ""))
    except ValueError:
        at = None
    return Options(period=period, dimension=dimension, at=at)


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 2)


def _figures_cells(f: sel.PeriodFigures) -> list[Any]:
    return [f.active_start, f.lost, f.lost_counted if f.active_start is not None else None, _pct(f.rate),
            f.returned_same, f.margin_lost, round(f.clv_lost, 2)]


def _display(value: Any) -> str:
    """A table cell as text (formatted here once: template filters per cell cost more than the page's queries)."""
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (float, Decimal)):
        return f"{value:,.2f}"
    return str(value)


def _display_rows(rows: list[list[Any]]) -> list[list[str]]:
    return [[_display(v) for v in row] for row in rows]


def _figures_header() -> list[str]:
    return [_("Active at the start"), _("Lost"), _("Of them active at the start"), _("Churn rate (%)"),
            _("Lost and won back in the period"), _("Margin lost (their last twelve months)"),
            _("Lifetime value lost (CLV at the loss)")]


def rates_table(user: Any, options: Options) -> tuple[str, list[str], list[list[Any]]]:
    scope = sel.churn_scope(user)
    rows = sel.churn_rates(scope=scope, period=options.period)[-sel.SHOWN[options.period]:]
    return (_("Churn rate"), [_("Period"), *_figures_header()], [[f.label, *_figures_cells(f)] for f in rows])


def breakdown_table(user: Any, options: Options) -> tuple[str, list[str], list[list[Any]], sel.Breakdown, int | None]:
    scope = sel.churn_scope(user)
    breakdown, at = sel.churn_breakdown(scope=scope, period=options.period, dimension=options.dimension,
                                        at=options.at)
    title = str(ChurnDimension(options.dimension).label)
    rows = [[r["label"], *_figures_cells(r["figures"])] for r in breakdown.rows]
    return title, [title, *_figures_header()], rows, breakdown, at


def cohort_table(user: Any) -> tuple[str, list[str], list[list[Any]], list[sel.CohortRow]]:
    cohorts = sel.cohort_table() if user.sees_all_customers else []
    width = max((len(c.active) for c in cohorts), default=0)
    header = [_("First purchase month"), _("Customers"),
              *[_("After %(k)d months (%%)") % {"k": k} for k in range(width)]]
    rows = []
    for c in cohorts:
        shares: list[Any] = [round(s * 100, 1) for s in c.active] + [None] * (width - len(c.active))
        rows.append([c.label, c.size, *shares])
    return _("Cohort retention"), header, rows, cohorts


def fits_table(user: Any) -> tuple[str, list[str], list[list[Any]], list[sel.CohortFit]]:
    fits = sel.cohort_fits() if user.sees_all_customers else []
    width = max((len(f.never_lost) for f in fits), default=0)
    header = [_("First purchase year"), _("Customers"),
              *[_("Never lost after %(k)d years") % {"k": k} for k in range(1, width)],
              "α", "β", _("Log-likelihood"), _("Expected lifetime (years)"), _("Note")]
    rows = []
    for f in fits:
        cells: list[Any] = list(f.never_lost[1:]) + [None] * (width - len(f.never_lost))
        lifetime = f.fit.expected_lifetime() if f.fit else None
        rows.append([f.year, f.size, *cells, round(f.fit.alpha, 4) if f.fit else None,
                     round(f.fit.beta, 4) if f.fit else None, round(f.fit.log_likelihood, 2) if f.fit else None,
                     round(lifetime, 2) if lifetime is not None and math.isfinite(lifetime) else None, f.note])
    return _("Retention projection (sBG)"), header, rows, fits


def _charts(rates: list[list[Any]], breakdown: sel.Breakdown, cohorts: list[sel.CohortRow],
            fits: list[sel.CohortFit]) -> dict[str, Any]:
    """What the page's charts draw (embedded with json_script: no inline script under the CSP)."""
    # Retention curves: every third cohort old enough to have a year of history, oldest first, at most six.
    curves = [c for c in cohorts if len(c.active) >= 12][::-1][::3][:6]
    fitted = [f for f in fits if f.fit is not None][:4]
    return {
        "rates": {
            "labels": [r[0] for r in rates], "rate": [r[4] for r in rates], "lost": [r[2] for r in rates],
            "rate_label": _("Churn rate (%)"), "lost_label": _("Lost"),
        },
        "margin": {
            "labels": [r[0] for r in rates], "margin": [float(r[6]) for r in rates], "clv": [r[7] for r in rates],
            "margin_label": _("Margin lost (their last twelve months)"),
            "clv_label": _("Lifetime value lost (CLV at the loss)"),
        },
        "breakdown": {
            "labels": [r["label"] for r in breakdown.rows],
            "values": [(_pct(r["figures"].rate) if breakdown.with_rate else r["figures"].lost)
                       for r in breakdown.rows],
            "label": _("Churn rate (%)") if breakdown.with_rate else _("Lost"),
        },
        "curves": {
            "series": [{"name": c.label, "data": [round(s * 100, 1) for s in c.active]} for c in curves],
            "axis": _("Months after the first purchase"), "value_axis": _("Still active (%)"),
        },
        "sbg": {
            "series": [{"name": str(f.year), "actual": [round(n / f.never_lost[0] * 100, 1) for n in f.never_lost],
                        "projected": [round(p * 100, 1) for p in f.projected]} for f in fitted],
            "axis": _("Years after the first purchase"), "value_axis": _("Never lost (%)"),
            "projected": _("sBG projection"),
        },
    }


@login_required
@require_GET
def churn(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    options = _options(request)
    scope = sel.churn_scope(user)
    _title, rates_header, rates, = rates_table(user, options)
    _btitle, breakdown_header, breakdown_rows, breakdown, at = breakdown_table(user, options)
    _ctitle, cohort_header, cohort_rows, cohorts = cohort_table(user)
    _ftitle, fits_header, fits_rows, fits = fits_table(user)
    from insights import selectors as insights_selectors
    from insights.display import factors_display
    from insights.reasons import reason_text

    at_risk = [{"score": s, "reason": reason_text(s.reason_key, s.reason_params),
                "factors": factors_display(s.churn_factors)} for s in insights_selectors.value_at_risk_list(user)]
    summary = sel.churn_summary(scope=scope, period=options.period)
    latest, previous = summary["latest"], summary["previous"]
    cards = {"rate": _pct(latest.rate) if latest else None, "previous": _pct(previous.rate) if previous else None}
    width = max((len(c.active) for c in cohorts), default=0)
    for c in cohorts:
        # The triangle's cells, shaded in five steps of the share still active.
        c.cells = [(f"{s * 100:.0f}", min(int(s * 5), 4)) for s in c.active]  # type: ignore[attr-defined]
        c.cells += [("", "")] * (width - len(c.active))  # type: ignore[attr-defined]
    periods = sel.breakdown_periods(scope=scope, period=options.period)
    context = {
        "options": options, "refresh": sel.last_refresh(), "summary": summary,
        "rates_header": rates_header, "rates": _display_rows(list(reversed(rates))),
        "breakdown": breakdown, "breakdown_header": breakdown_header, "breakdown_rows": _display_rows(breakdown_rows),
        "at": at,
        "periods": periods, "at_label": dict(periods).get(at, "") if at is not None else "", "cards": cards,
        "breakdown_title": ChurnDimension(options.dimension).label,
        "cohort_columns": list(range(width)),
        "dimensions": [(d.value, d.label) for d in ChurnDimension if d != ChurnDimension.ALL],
        "cohort_header": cohort_header, "cohort_rows": cohort_rows, "cohorts": cohorts,
        "at_risk": at_risk, "churn_model": _churn_model_note(),
        "fits_header": fits_header, "fits_rows": fits_rows, "fits": fits,
        "charts": _charts(rates, breakdown, cohorts, fits),
        "query": _query_without(request, ("table", "format")),
    }
    return render(request, "retention/churn/page.html", context)


def _churn_model_note() -> str:
    """What ranks the customers at risk: the model, or the baseline that beat it on validation."""
    from insights import selectors as insights_selectors

    run = insights_selectors.score_run_latest()
    churn = (run.churn if run else None) or {}
    if churn.get("fallback"):
        from insights.churn import fallback_message

        return str(fallback_message(churn))
    return ""


TABLES = ("rates", "breakdown", "cohorts", "fits")


def _query_without(request: HttpRequest, names: tuple[str, ...]) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@login_required
@require_GET
def churn_export(request: AuthenticatedHttpRequest) -> HttpResponseBase:
    """A chart's table (`?table=rates|breakdown|cohorts|fits`) as CSV or XLSX (`&format=`): the figures the page
    shows, in the viewer's scope, with the page's other choices (period, by, at)."""
    table, fmt = request.GET.get("table", ""), request.GET.get("format", "")
    if table not in TABLES or fmt not in FORMATS:
        raise Http404(_("No such export."))
    user = request.user
    options = _options(request)
    if table == "rates":
        title, header, rows = rates_table(user, options)
    elif table == "breakdown":
        title, header, rows, _b, _at = breakdown_table(user, options)
    elif table == "cohorts":
        title, header, rows, _c = cohort_table(user)
    else:
        title, header, rows, _f = fits_table(user)
    cleaned = [[None if isinstance(v, float) and not math.isfinite(v) else v for v in row] for row in rows]
    return download(fmt=fmt, filename=f"churn-{table}-{timezone.localdate():%Y%m%d}.{fmt}", header=header,
                    rows=lambda for_xlsx: iter(cleaned), title=title)
