"""Pages of the win-back part: the win-back page (campaigns, progress, rates), a campaign with its
attempts, the new-campaign form, the "reason unknown" queue, marking a customer lost, the scripts."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.http import AuthenticatedHttpRequest
from core.forms import add_errors
from core.middleware import is_htmx
from customers.records.access import customer_or_404
from interactions.models import Interaction
from retention import selectors_winback as selectors
from retention import services_winback as services
from retention.forms_winback import CampaignForm, MarkLostForm, PeriodForm, ScriptForm
from retention.models import WinbackCampaign, WinbackScript
from segmentation.refresh import business_today


def _campaign_or_404(request: AuthenticatedHttpRequest, campaign_id: int) -> WinbackCampaign:
    try:
        return selectors.campaign_get(request.user, campaign_id)
    except WinbackCampaign.DoesNotExist as exc:
        raise Http404 from exc


@login_required
@require_GET
def winback(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Campaigns with their progress, and the win-back rate beside the new-prospect conversion."""
    user = request.user
    period = PeriodForm(request.GET or None, initial={"days": 365})
    days = period.cleaned_data.get("days") or 365 if period.is_valid() else 365
    end = business_today()
    start = end - timedelta(days=days - 1)
    rates = selectors.rates(user, start=start, end=end)
    shown = list(selectors.campaigns(user)[:20])
    counts = selectors.campaign_counts(user, [c.pk for c in shown])
    rows = [(c, counts.get(c.pk, {"attempted": 0, "won": 0})) for c in shown]
    return render(request, "retention/winback/page.html", {
        "rates": rates, "period": period, "days": days, "rows": rows,
        "running": any(c.running for c in shown), "can_run": services.may_run_campaigns(user),
        "can_edit_scripts": services.may_edit_scripts(user), "window": services.attribution_days(),
        "chart": {"labels": [_("Win-back"), _("New prospects")],
                  "values": [float(rates.winback.value or 0) * 100, float(rates.prospect.value or 0) * 100],
                  "reference": [25.0, 6.25], "reference_label": _("Sources: 1 in 4 and 1 in 16"),
                  "measured_label": _("Measured")},
    })


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not services.may_run_campaigns(user):
        raise PermissionDenied
    form = CampaignForm(request.POST or None, initial={"language": request.LANGUAGE_CODE if request.LANGUAGE_CODE in (
        "zh-hans", "en") else "zh-hans"})
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(actor=user, data=form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Campaign created. The attempts are being made in the background."))
            return redirect("retention:winback_campaign", campaign.pk)
    return render(request, "retention/winback/campaign_new.html", {"form": form})


@login_required
@require_GET
def campaign_detail(request: AuthenticatedHttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign_or_404(request, campaign_id)
    page = selectors.attempts_page(request.user, campaign, cursor=request.GET.get("cursor"))
    counts = selectors.campaign_counts(request.user, [campaign.pk]).get(campaign.pk, {"attempted": 0, "won": 0})
    reasons = [selectors.reason_label(r) for r in campaign.reasons]
    return render(request, "retention/winback/campaign.html", {
        "campaign": campaign, "page": page, "counts": counts, "reasons": reasons,
        "rate": selectors.Rate(counts["won"], counts["attempted"]),
    })


@login_required
@require_GET
def campaign_progress(request: AuthenticatedHttpRequest, campaign_id: int) -> HttpResponse:
    """The progress bar (htmx polls it); when the campaign stops, the page reloads itself."""
    campaign = _campaign_or_404(request, campaign_id)
    if not campaign.running:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    if not is_htmx(request):
        return redirect("retention:winback_campaign", campaign.pk)
    return render(request, "retention/winback/campaign.html#progress", {"campaign": campaign})


@login_required
@require_GET
def reason_unknown(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's lost customers whose reason is not known; managers may look at the whole team's."""
    user = request.user
    team = request.GET.get("whose") == "team" and user.leads_team
    page = selectors.reason_unknown_page(user, mine=not team, cursor=request.GET.get("cursor"))
    return render(request, "retention/winback/reason_unknown.html", {"page": page, "team": team,
                                                                     "leads_team": user.leads_team})


@login_required
@require_http_methods(["GET", "POST"])
def mark_lost(request: AuthenticatedHttpRequest, customer_pk: int) -> HttpResponse:
    """Mark a customer lost with the reason class, or classify a loss waiting for its reason."""
    user = request.user
    customer = customer_or_404(user, customer_pk, "change")
    pending = selectors.in_reason_unknown(customer.pk, user)
    recent = (Interaction.objects.restrict(user, "view").filter(customer_id=customer.pk)
              .order_by("-occurred_at", "-id").only("id", "occurred_at", "subject")[:20])
    choices = [(i.pk, f"{i.occurred_at:%Y-%m-%d} · {i.subject}") for i in recent]
    form = MarkLostForm(request.POST or None, needs_contact=pending is not None, interactions=choices)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.customer_mark_lost(
                actor=user, customer_id=customer.pk, reason=d["reason"], note=d["note"], competitor=d["competitor"],
                marked_on=d.get("marked_on"), interaction_id=d.get("interaction"), contact=form.contact())
        except ValidationError as exc:
            add_errors(form, exc, aliases={"churn_reason": "reason"})
        else:
            messages.success(request, _("Recorded: the customer is lost. The lifecycle stage follows at the next "
                                        "refresh of the segments."))
            return redirect(reverse("retention:winback_unknown") if pending is not None
                            else reverse("customers:customer_detail", args=[customer.pk]))
    return render(request, "retention/winback/mark_lost.html", {"customer": customer, "form": form,
                                                                "pending": pending})


@login_required
@require_GET
def scripts(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = [(s, selectors.reason_label(s.reason)) for s in WinbackScript.objects.order_by("id")]
    return render(request, "retention/winback/scripts.html", {
        "rows": rows, "can_edit": services.may_edit_scripts(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def script_edit(request: AuthenticatedHttpRequest, reason: str) -> HttpResponse:
    if not services.may_edit_scripts(request.user):
        raise PermissionDenied
    script = WinbackScript.objects.filter(reason=reason).first()
    if script is None:
        raise Http404
    form = ScriptForm(request.POST or None, initial={f: getattr(script, f) for f in ScriptForm.base_fields})
    if request.method == "POST" and form.is_valid():
        try:
            services.script_update(actor=request.user, reason=reason, data=form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Script saved."))
            return redirect("retention:winback_scripts")
    return render(request, "retention/winback/script_edit.html", {
        "form": form, "script": script, "label": selectors.reason_label(script.reason)})
