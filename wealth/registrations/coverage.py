"""The coverage part's registrations: masked amounts, the card panel, the timeline, the call list's
reasons, the nightly gap refresh, the refresh on a family change, the demo and the importer."""


def register() -> None:
    from django.db.models.signals import post_delete, post_save

    from accounts.roles import Sensitive
    from core import masking, registry
    from core.periodic import PeriodicJob
    from customers.call_reasons import add_reason_source
    from customers.models import FamilyMember
    from wealth import demo_coverage, selectors_coverage
    from wealth.models.coverage import InsurancePolicy, MemberIncome

    # Policies and incomes are assets (D12): masked for the roles that see assets masked.
    for field in ("sum_insured", "premium"):
        masking.register(InsurancePolicy, field, group=Sensitive.ASSETS, mask=masking.mask_amount)
    masking.register(MemberIncome, "annual_income", group=Sensitive.ASSETS, mask=masking.mask_amount)

    registry.add("card_panels", selectors_coverage.card_panels)
    registry.add("timeline_providers", selectors_coverage.policy_timeline)
    add_reason_source(selectors_coverage.gap_lines_for)
    registry.add("demo_generators", demo_coverage.generate)
    registry.add("periodic_jobs", PeriodicJob(name="coverage_gaps",
                                              task="wealth.tasks_coverage.coverage_gaps_refresh_nightly_task",
                                              hour=2, minute=30))
    registry.add("after_import", _after_import)
    # A family member added, changed or removed changes the household: its gaps are refreshed.
    post_save.connect(_family_changed, sender=FamilyMember, dispatch_uid="wealth_coverage_family_saved")
    post_delete.connect(_family_changed, sender=FamilyMember, dispatch_uid="wealth_coverage_family_deleted")


def _family_changed(sender: type, instance: object, **kwargs: object) -> None:
    from django.db import transaction

    from wealth.services_coverage import gap_summaries_refresh

    customer_id = getattr(instance, "customer_id", None)
    if customer_id is not None and not kwargs.get("raw"):
        transaction.on_commit(lambda: gap_summaries_refresh([customer_id]))


def _after_import(job: object) -> None:
    """Imported policies (written in bulk, not through the services) refresh their households' gaps."""
    if getattr(job, "kind", "") != "policies":
        return
    from wealth.models.coverage import InsurancePolicy
    from wealth.services_coverage import gap_summaries_refresh

    ids = sorted(set(InsurancePolicy.objects.filter(updated_at__gte=job.created_at)  # type: ignore[attr-defined]
                     .values_list("customer_id", flat=True)))
    for start in range(0, len(ids), 2000):
        gap_summaries_refresh(ids[start:start + 2000])
