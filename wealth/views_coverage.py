"""Pages of insurance coverage: policy add/edit/delete (records layer) and the household coverage."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from accounts.roles import Cap
from core import masking
from customers.models import Customer, FamilyMember
from customers.records.access import customer_or_404
from customers.records.views import RecordPages
from wealth import selectors_coverage as selectors
from wealth import services_coverage as services
from wealth.forms_coverage import IncomeForm, PolicyForm
from wealth.models.coverage import InsurancePolicy, MemberIncome


def _members(customer_id: int) -> Any:
    return FamilyMember.objects.filter(customer_id=customer_id, deleted_at__isnull=True).order_by("relation", "name")


def _policy_form_kwargs(request: HttpRequest, customer: Customer, policy: InsurancePolicy | None) -> dict[str, Any]:
    return {"user": request.user, "members": _members(customer.pk)}


POLICY_PAGES = RecordPages(
    kind=services.POLICIES, form=PolicyForm, tab="", object_name="policy",
    title_add=gettext_lazy("New insurance policy"), title_edit=gettext_lazy("Edit insurance policy"),
    added_message=gettext_lazy("Policy saved."), saved_message=gettext_lazy("Policy saved."),
    deleted_message=gettext_lazy("Policy “%(policy)s” deleted."),
    delete_question=gettext_lazy("Delete the policy “%(policy)s”?"),
    delete_explanation=gettext_lazy("It no longer counts in the household's coverage; the history keeps it."),
    label_params=lambda policy: {"policy": policy},
    form_kwargs=_policy_form_kwargs,
    add_initial=lambda request, customer: {"starts_on": timezone.localdate()},
)
policy_add = POLICY_PAGES.view("add")
policy_edit = POLICY_PAGES.view("edit")
policy_delete = POLICY_PAGES.view("delete")


@login_required
@require_GET
def household_coverage(request: AuthenticatedHttpRequest, customer_pk: int) -> HttpResponse:
    """Who in the household is covered by what, the gaps, and the incomes the life rule weighs."""
    user: User = request.user
    customer = customer_or_404(user, customer_pk)
    return _render(request, customer, IncomeForm(members=_members(customer.pk)))


def _render(request: AuthenticatedHttpRequest, customer: Customer, income_form: IncomeForm,
            status: int = 200) -> HttpResponse:
    user: User = request.user
    view = selectors.household_view(user=user, customer=customer)
    can_change = Customer.objects.restrict(user, "change").filter(pk=customer.pk).exists()
    rows = [{"coverage": c, "income": view.incomes.get(c.person.member_id),
             "policies": [view.policies_by_id[p.pk] for p in c.policies if p.pk in view.policies_by_id]}
            for c in view.people]
    return render(request, "wealth/coverage/household.html", {
        "customer": customer, "view": view, "rows": rows, "gap_lines": view.gap_lines(),
        "can_change": can_change, "income_form": income_form, "can_export": user.can(Cap.EXPORT),
        "amounts_masked": masking.masks(user, InsurancePolicy, "sum_insured"),
        "incomes_writable": can_change and masking.may_write(user, MemberIncome, "annual_income"),
        "next_url": reverse("wealth:household_coverage", args=[customer.pk]),
    }, status=status)


@login_required
@require_POST
def income_save(request: AuthenticatedHttpRequest, customer_pk: int) -> HttpResponse:
    """Record the annual income of the customer or of a family member (the life-cover rule)."""
    user: User = request.user
    customer = customer_or_404(user, customer_pk, "change")
    form = IncomeForm(request.POST, members=_members(customer.pk))
    if form.is_valid():
        member = form.cleaned_data["member"]
        try:
            services.income_set(actor=user, customer_id=customer.pk, family_member_id=member.pk if member else None,
                                annual_income=form.cleaned_data["annual_income"],
                                currency=form.cleaned_data["currency"])
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(None if name not in form.fields else name, errors)
        else:
            messages.success(request, _("Income saved."))
            return redirect("wealth:household_coverage", customer.pk)
    return _render(request, customer, form, status=400)
