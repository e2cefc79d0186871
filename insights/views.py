"""Pages of predicted value: the call list (最佳名单), the value page (价值) with the model
diagnostics and the "refresh now" button, and the scoring settings (administrators).

Thin: reads through insights.selectors (scoped to the customers the user may see), writes through
insights.services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.roles import Role
from core.badges import customer_badges
from core.middleware import is_htmx
from customers.call_reasons import more_reasons
from insights import selectors, services
from insights.display import factors_display, products_display
from insights.forms import InsightSettingsForm
from insights.models import ScoreRun
from insights.reasons import reason_text


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
@require_GET
def call_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The visible customers ranked by call score, with the reason and the products to offer."""
    user = request.user
    owners = list(selectors.call_list_owners(user))
    owner_id = _int(request.GET.get("owner"))
    if owner_id is not None and owner_id not in {o.pk for o in owners}:
        owner_id = None  # not a user whose customers this user may list: show everything visible
    status = 200
    try:
        page = selectors.call_list_page(user=user, owner_id=owner_id, cursor=request.GET.get("cursor"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        page = selectors.call_list_page(user=user, owner_id=owner_id)
        status = 400
    more = more_reasons(user, [s.customer_id for s in page.items])
    badges = customer_badges(user, [s.customer_id for s in page.items])  # core.badges: e.g. recent failures
    rows = [{"score": s, "reason": reason_text(s.reason_key, s.reason_params),
             "more_reasons": more.get(s.customer_id, []), "products": products_display(s.next_products),
             "badges": badges.get(s.customer_id, [])}
            for s in page.items]
    run = page.items[0].run if page.items else selectors.score_run_latest()
    return render(request, "insights/call_list.html", {
        "page": page, "rows": rows, "owners": owners, "owner_id": owner_id, "run": run,
        "tab": "calls",
        # One-time buyers' expected order value is the population mean (Gamma-Gamma, x = 0): say so.
        "population_mean_shown": any(s.frequency == 0 for s in page.items),
    }, status=status)


def _chart_data(run: ScoreRun | None, deciles: list[selectors.Decile]) -> dict[str, Any]:
    """What the value page's charts draw (embedded with json_script: no inline script under CSP)."""
    data: dict[str, Any] = {
        "deciles": {
            "labels": [str(d.tile) for d in deciles],
            "shares": [round(d.share * 100, 1) for d in deciles],
            "totals": [round(d.total, 2) for d in deciles],
            "series": _("Share of total lifetime value (%)"),
            "axis": _("Tenth of customers by lifetime value (1 = lowest)"),
        },
    }
    holdout = (run.holdout if run else None) or {}
    if holdout.get("groups"):
        data["holdout"] = {
            "labels": [g["frequency"] for g in holdout["groups"]],
            "predicted": [round(g["predicted"], 3) for g in holdout["groups"]],
            "actual": [round(g["actual"], 3) for g in holdout["groups"]],
            "predicted_label": _("Predicted"), "actual_label": _("Actual"),
            "axis": _("Repeat purchases before the holdout period"),
            "value_axis": _("Purchases per customer in the holdout period"),
        }
    curve = ((run.churn if run else None) or {}).get("calibration") or []
    if curve:
        data["calibration"] = {
            "predicted": [point["predicted"] for point in curve], "observed": [point["observed"] for point in curve],
            "series": _("Churn model"), "ideal": _("Perfect calibration"),
            "axis": _("Predicted churn probability"), "value_axis": _("Observed churn rate"),
        }
    return data


def _churn_summary(run: ScoreRun | None) -> dict[str, Any]:
    """The churn model's evaluation as rows to show: the model's AUC and the baselines' on the same
    held-out customers, or why there is no model."""
    churn = (run.churn if run else None) or {}
    out: dict[str, Any] = {"status": churn.get("status", ""), "reason": churn.get("reason", ""), "rows": []}
    if churn.get("fallback"):
        from insights.churn import fallback_message

        out["fallback"] = fallback_message(churn)
    labels = {"recency_days": _("Baseline: days since last purchase"),
              "bgnbd_expected": _("Baseline: BG/NBD expected purchases"),
              "bgnbd_p_alive": _("1 − P(alive) (never used as the churn score)")}
    if churn.get("auc") is not None and churn.get("fallback") != "baseline_wins":  # else the baseline's row says it
        out["rows"].append({"label": _("Churn model (%(method)s)") % {"method": churn.get("method", "")},
                            "auc": churn["auc"], "model": True})
    for key, auc in (churn.get("baseline_aucs") or {}).items():
        if auc is not None:
            out["rows"].append({"label": labels.get(key, key), "auc": auc, "model": False})
    out["brier"], out["brier_reference"] = churn.get("brier"), churn.get("brier_reference")
    out["n_test"], out["window_days"] = churn.get("n_test"), churn.get("window_days")
    return out


@login_required
@require_GET
def value(request: AuthenticatedHttpRequest) -> HttpResponse:
    """CLV distribution and value at risk over the visible customers; model diagnostics for roles
    that see every customer (the models are fitted on all of them)."""
    user = request.user
    run = selectors.score_run_latest()
    newest = selectors.score_run_newest()
    deciles = selectors.value_deciles(user)
    context: dict[str, Any] = {
        "run": run, "newest": newest, "totals": selectors.value_totals(user), "deciles": deciles,
        "at_risk": [{"score": s, "reason": reason_text(s.reason_key, s.reason_params),
                     "factors": factors_display(s.churn_factors)} for s in selectors.value_at_risk_list(user)],
        "churn": _churn_summary(run),
        "charts": _chart_data(run, deciles),
        "show_diagnostics": user.sees_all_customers,
        "can_refresh": services.may_refresh(user),
        "can_configure": user.effective_role == Role.ADMIN,
        "tab": "value",
    }
    if newest is not None and newest.running:
        context["progress"] = _progress(newest)
    return render(request, "insights/value.html", context)


# Where each phase of a run starts on the progress bar, and how much of it the phase takes (percent).
PHASE_SPANS = {"history": (0, 10), "fit": (10, 20), "churn": (30, 30), "products": (60, 10), "write": (70, 30),
               "done": (100, 0)}


def _progress(run: ScoreRun) -> dict[str, Any]:
    found = run.progress or {}
    phase = found.get("phase", "")
    done, total = int(found.get("done", 0)), int(found.get("total", 0))
    start, span = PHASE_SPANS.get(phase, (0, 0))
    phases = {"history": _("Reading the order history"), "fit": _("Fitting the models"),
              "churn": _("Scoring churn risk"), "products": _("Finding the next best products"),
              "write": _("Saving the scores"), "done": _("Done")}
    return {"phase": phases.get(phase, _("Waiting for the background worker")),
            "percent": min(100, round(start + span * done / total)) if total else start,
            "done": done, "total": total if phase == "write" else 0}


@login_required
@require_POST
def refresh(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Queue a scoring run (managers, administrators, analysts)."""
    try:
        services.scores_refresh_enqueue(actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Scoring run queued: the scores are refreshed in the background."))
    return redirect("insights:value")


@login_required
@require_GET
def run_progress(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The progress bar of a run (htmx polls it); when the run stops, the page reloads itself."""
    if not services.may_refresh(request.user):
        raise PermissionDenied
    try:
        run = selectors.score_run_get(run_id=pk)
    except ScoreRun.DoesNotExist as exc:
        raise Http404 from exc
    if not run.running:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    if not is_htmx(request):
        return redirect("insights:value")
    return render(request, "insights/value.html#progress", {"newest": run, "progress": _progress(run)})


@login_required
@require_http_methods(["GET", "POST"])
def settings_edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The scoring settings (administrators): horizon, discount rate, likelihood period."""
    if request.user.effective_role != Role.ADMIN:
        raise PermissionDenied(_("Only administrators may change the scoring settings."))
    current = services.insight_settings_current()
    form = InsightSettingsForm.for_settings(current, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.insight_settings_update(actor=request.user, data=form.service_data())
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Scoring settings saved. They apply from the next scoring run."))
            return redirect("insights:value")
    return render(request, "insights/settings.html", {"form": form, "current": current, "tab": "value"},
                  status=400 if form.errors else 200)
