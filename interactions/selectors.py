"""Reads of interactions and follow-up tasks: scoped through the customer, one query per list page,
and the interaction entries of the customer timeline."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from core.pagination import KeysetPage, keyset_page
from core.timeline import (
    TimelineAction,
    TimelineCursor,
    TimelineEntry,
    before_q,
    choice_labels,
    person_fields,
    timeline_provider,
    url_of,
    wants,
)
from interactions.models import Interaction
from work.models import Task, TaskStatus

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

INTERACTION_FILTERS: dict[str, str] = {
    "customer": "customer_id",
    "channel": "channel",
    "direction": "direction",
    "staff": "staff_id",
}


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def interaction_filtered(user: User, filters: Mapping[str, Any], action: str = "view") -> QuerySet[Interaction]:
    """Scoped interactions narrowed by the filters: INTERACTION_FILTERS, date_from / date_to
    (inclusive dates), q (subject, or the customer's name)."""
    qs = Interaction.objects.restrict(user, action)
    for key, lookup in INTERACTION_FILTERS.items():
        if filters.get(key) not in (None, ""):
            qs = qs.filter(**{lookup: filters[key]})
    if filters.get("date_from"):
        qs = qs.filter(occurred_at__gte=_day_start(filters["date_from"]))
    if filters.get("date_to"):
        qs = qs.filter(occurred_at__lt=_day_start(filters["date_to"] + timedelta(days=1)))
    q = (filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(subject__icontains=q) | Q(customer__name__icontains=q))
    return qs


class _OpenTask(TypedDict):
    has_open_task: bool


def _with_open_task(qs: QuerySet[Interaction]) -> QuerySet[WithAnnotations[Interaction, _OpenTask]]:
    return qs.annotate(has_open_task=Exists(_follow_ups().filter(
        record_id=OuterRef("pk"), status=TaskStatus.OPEN, deleted_at__isnull=True
    )))


def _follow_ups(qs: QuerySet[Task] | None = None) -> QuerySet[Task]:
    """Tasks linked to an interaction (joined on the content type: no lookup of its id first)."""
    return (Task.objects.all() if qs is None else qs).filter(
        record_type__app_label="interactions", record_type__model="interaction")


def interaction_list(
    *, user: User, filters: Mapping[str, Any], cursor: str | None = None, size: int = 50
) -> KeysetPage:
    """One page of interactions, newest first, with customer and staff member (one query)."""
    qs = _with_open_task(interaction_filtered(user, filters).select_related("customer", "staff"))
    return keyset_page(qs, ordering=["-occurred_at", "-id"], cursor=cursor, size=size)


def interaction_detail(*, user: User, interaction_id: int) -> Interaction:
    """An interaction with its customer, staff member, contact and follow-up tasks. Raises
    Interaction.DoesNotExist outside the user's scope."""
    obj = (
        Interaction.objects.restrict(user, "view").select_related("customer", "staff", "contact")
        .get(pk=interaction_id)
    )
    obj.task_list = list(
        _follow_ups(Task.objects.restrict(user, "view")).filter(record_id=obj.pk).select_related("assignee", "team")
    )
    return obj


def interaction_can(user: User, interaction_id: int, action: str) -> bool:
    return Interaction.objects.restrict(user, action).filter(pk=interaction_id).exists()


# --- follow-up tasks -----------------------------------------------------------------------------

def follow_up_filtered(user: User, filters: Mapping[str, Any]) -> QuerySet[Task]:
    """Scoped tasks linked to an interaction: customer, assignee, open (bool)."""
    qs = _follow_ups(Task.objects.restrict(user, "view"))
    if filters.get("customer") not in (None, ""):
        qs = qs.filter(customer_id=filters["customer"])
    if filters.get("assignee") not in (None, ""):
        qs = qs.filter(assignee_id=filters["assignee"])
    if filters.get("open") is not None:
        qs = qs.filter(status=TaskStatus.OPEN) if filters["open"] else qs.exclude(status=TaskStatus.OPEN)
    return qs


def follow_up_list(*, user: User, filters: Mapping[str, Any], cursor: str | None = None, size: int = 50) -> KeysetPage:
    qs = follow_up_filtered(user, filters).select_related("customer", "assignee", "record_type")
    return keyset_page(qs, ordering=["due_on", "id"], cursor=cursor, size=size)


# --- timeline ----------------------------------------------------------------------------------------

@timeline_provider(kinds={"interaction": gettext_lazy("Interactions")})
def interaction_timeline(user: Any, customer_id: int, kinds: Collection[str] | None, before: TimelineCursor | None,
                         limit: int) -> list[TimelineEntry]:
    """The customer's interactions, newest first (one query on the (customer, occurred_at) index)."""
    if not wants(["interaction"], kinds):
        return []
    rows = _with_open_task(
        Interaction.objects.restrict(user, "view").filter(customer_id=customer_id)
        .filter(before_q(field_name="occurred_at", kind="interaction", before=before))
        .select_related("staff").order_by("-occurred_at", "-id")
        .only("id", "occurred_at", "channel", "direction", "subject", "content", "outcome", *person_fields("staff"))
    )[:limit]
    url = url_of("interactions:interaction_detail")
    channel, direction = choice_labels(Interaction, "channel"), choice_labels(Interaction, "direction")
    outcome, open_task = _("Outcome"), _("follow-up open")
    out = []
    for i in rows:
        detail = Truncator(i.content).chars(240)
        if i.outcome:
            detail = f"{detail} — {outcome}: {i.outcome}" if detail else f"{outcome}: {i.outcome}"
        out.append(TimelineEntry(
            kind="interaction", kind_label=channel(i.channel), at=i.occurred_at, pk=i.pk, title=i.subject,
            detail=detail, url=url(i.pk), actor=str(i.staff or ""),
            badge=open_task if i.has_open_task else "", badge_class="warn" if i.has_open_task else "",
            extra={"direction": direction(i.direction), "channel": i.channel},
        ))
    return out


def timeline_actions(user: Any, customer_id: int, can_change: bool) -> list[TimelineAction]:
    """The one-step interaction entry, loaded into the card's timeline tab."""
    if not can_change:
        return []
    return [TimelineAction(label=_("Record an interaction"), url=reverse("interactions:interaction_add",
                                                                         args=[customer_id]), panel=True)]
