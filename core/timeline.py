"""The customer timeline: one list of everything that happened with a customer, assembled from
providers that the domain apps register (core.registry "timeline_providers") so that the card in
`customers` never imports the apps above it.

A provider is `provider(user, customer_id, kinds, before, limit) -> list[TimelineEntry]`: it
returns at most `limit` entries of its kinds for the customer, newest first, strictly older than
`before` (a TimelineCursor or None), scoped to what `user` may see, in ONE indexed query; it
returns [] without querying when none of its kinds is asked for. Decorate it with
@timeline_provider(kinds={...}) to declare its kinds and their labels.

Entries are ordered by (at, kind, pk) descending; that triple is also the "older" cursor, so
entries with the same timestamp are neither lost nor repeated across pages.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import gettext as _

from core import registry
from core.models import concrete_field

PROVIDERS = "timeline_providers"
DEFAULT_LIMIT = 50


@dataclass
class TimelineEntry:
    kind: str  # "order", "interaction", "cost", "transfer", …
    kind_label: str
    at: datetime  # aware
    pk: int
    title: str
    detail: str = ""
    url: str = ""
    actor: str = ""
    amount: Decimal | None = None
    currency: str = ""
    badge: str = ""
    badge_class: str = ""  # ok / warn / bad (kehu.css badge classes)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sort_key(self) -> tuple[datetime, str, int]:
        return (self.at, self.kind, self.pk)


@dataclass(frozen=True)
class TimelineCursor:
    """The last entry of a page: the next page starts strictly after (older than) it."""

    at: datetime
    kind: str
    pk: int

    def encode(self) -> str:
        raw = json.dumps([self.at.isoformat(), self.kind, self.pk], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> TimelineCursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            at, kind, pk = json.loads(raw)
            moment = datetime.fromisoformat(at)
            if timezone.is_naive(moment) or not isinstance(kind, str) or not isinstance(pk, int):
                raise ValueError(token)
            return cls(moment, kind, pk)
        except (binascii.Error, ValueError, TypeError) as exc:
            raise ValidationError(_("The page link is invalid or out of date."), code="invalid_cursor") from exc


@dataclass
class TimelinePage:
    entries: list[TimelineEntry]
    next_cursor: str | None = None


Provider = Callable[[Any, int, "Collection[str] | None", "TimelineCursor | None", int], list[TimelineEntry]]


def timeline_provider(*, kinds: Mapping[str, Any]) -> Callable[[Provider], Provider]:
    """Declare the kinds (key → label) a provider serves."""

    def wrap(fn: Provider) -> Provider:
        fn.timeline_kinds = dict(kinds)  # type: ignore[attr-defined]  # read back by the registry (timeline_kinds)
        return fn

    return wrap


def timeline_kinds() -> list[tuple[str, Any]]:
    """(key, label) of every kind some installed app provides, in registration order."""
    out: list[tuple[str, Any]] = []
    for provider in registry.get_all(PROVIDERS):
        out.extend(getattr(provider, "timeline_kinds", {}).items())
    return out


def wants(provider_kinds: Collection[str], kinds: Collection[str] | None) -> list[str]:
    """The provider's kinds that are asked for (all when `kinds` is None)."""
    return [k for k in provider_kinds if kinds is None or k in kinds]


def as_moment(value: date | datetime) -> datetime:
    """A date (costs are dated, not timed) as the start of that day in the current time zone."""
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    return timezone.make_aware(datetime.combine(value, time.min))


def before_q(*, field_name: str, kind: str, before: TimelineCursor | None, is_date: bool = False) -> Q:
    """Rows of one kind strictly older than the cursor in (at, kind, pk) descending order."""
    if before is None:
        return Q()
    # Rows with exactly the cursor's time come after it when (kind, pk) is smaller.
    if kind < before.kind:
        tie = Q()
    elif kind == before.kind:
        tie = Q(pk__lt=before.pk)
    else:
        tie = None
    if not is_date:
        strict = Q(**{f"{field_name}__lt": before.at})
        return strict | (Q(**{field_name: before.at}) & tie) if tie is not None else strict
    local = timezone.localtime(before.at)
    day = local.date()
    if local.timetz().replace(tzinfo=None) != time.min:
        # The cursor lies within a day: every row of that day (at midnight) is older.
        return Q(**{f"{field_name}__lte": day})
    strict = Q(**{f"{field_name}__lt": day})
    return strict | (Q(**{field_name: day}) & tie) if tie is not None else strict


def url_of(viewname: str) -> Callable[[int], str]:
    """`pk -> reverse(viewname, args=[pk])`, reversed once: a timeline page links up to 200 rows, and
    Django's reverse() per row cost more than building the entries. Falls back to reverse() when the
    URL does not end with the id as its last segment."""
    sample = reverse(viewname, args=[0])
    if not sample.endswith("/0/"):
        return lambda pk: reverse(viewname, args=[pk])
    prefix = sample[:-2]
    return lambda pk: f"{prefix}{pk}/"


def person_fields(relation: str) -> tuple[str, ...]:
    """The columns str(user) reads (accounts.User.__str__: full name, else username), for .only()
    on an entry's person: a timeline page reads up to 200 rows with their user."""
    return tuple(f"{relation}__{name}" for name in ("id", "first_name", "last_name", "username"))


def choice_labels(model: type[Model], field_name: str) -> Callable[[Any], Any]:
    """`value -> obj.get_<field>_display()` for one field, with the labels read once: Django's
    get_FOO_display builds the dict of every choice on each call."""
    labels = dict(make_hashable(concrete_field(model, field_name).flatchoices))
    return lambda value: force_str(labels.get(make_hashable(value), value), strings_only=True)


def timeline_page(
    *, user: Any, customer_id: int, kinds: Collection[str] | None = None, cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> TimelinePage:
    """One page of the customer's timeline, newest first: each provider runs one query for at
    most limit + 1 rows, the results are merged and cut. Raises ValidationError on a bad cursor."""
    before = TimelineCursor.decode(cursor) if cursor else None
    entries: list[TimelineEntry] = []
    for provider in registry.get_all(PROVIDERS):
        entries.extend(provider(user, customer_id, kinds, before, limit + 1))
    entries.sort(key=lambda e: e.sort_key, reverse=True)
    page = TimelinePage(entries=entries[:limit])
    if len(entries) > limit:
        last = page.entries[-1]
        page.next_cursor = TimelineCursor(last.at, last.kind, last.pk).encode()
    return page


# --- Actions offered above the timeline (new order, record a cost, quick interaction entry) -------

ACTIONS = "timeline_actions"


@dataclass
class TimelineAction:
    """A link above the timeline. A `panel` is an htmx fragment (e.g. a one-step entry form) that
    the card loads from `url` in place, instead of a link."""

    label: str
    url: str
    panel: bool = False
    primary: bool = False


def timeline_actions(*, user: Any, customer_id: int, can_change: bool) -> list[TimelineAction]:
    """What the installed apps offer to do from the card's timeline; each contributor is
    `fn(user, customer_id, can_change) -> list[TimelineAction]` and runs no query."""
    out: list[TimelineAction] = []
    for contributor in registry.get_all(ACTIONS):
        out.extend(contributor(user, customer_id, can_change))
    return out


# --- Key figures shown above the timeline (e.g. revenue, margin, cost to serve, profit) ----------

FACTS = "timeline_facts"


@dataclass
class TimelineFact:
    label: str
    value: str
    hint: str = ""


def timeline_facts(*, user: Any, customer_id: int) -> list[TimelineFact]:
    """Figures the installed apps show above the timeline; each contributor is
    `fn(user, customer_id) -> list[TimelineFact]` and runs a fixed number of queries."""
    out: list[TimelineFact] = []
    for contributor in registry.get_all(FACTS):
        out.extend(contributor(user, customer_id))
    return out


# --- Panels on the card's profile tab (e.g. segment classes, predicted value) -------------------

PANELS = "card_panels"


@dataclass
class CardPanel:
    """A block on the card's profile tab, rendered from `template` with `context` (plus `customer`).
    Higher apps contribute panels so that the card in `customers` never imports them."""

    key: str
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)


def card_panels(*, user: Any, customer_id: int) -> list[CardPanel]:
    """Panels the installed apps show on the profile tab; each contributor is
    `fn(user, customer_id) -> list[CardPanel]` and runs a fixed number of queries (no N+1)."""
    out: list[CardPanel] = []
    for contributor in registry.get_all(PANELS):
        out.extend(contributor(user, customer_id))
    return out


# --- Tabs of the card contributed by higher apps (e.g. the wealth desk's holdings) ---------------

TABS = "card_tabs"


@dataclass
class CardTab:
    """A tab of the customer card that a higher app contributes: shown between the card's own tabs
    and "History". `context(request, card)` runs only when the tab is open and returns what
    `template` (included inside the card's tab panel, with the card's context) needs; `card` is the
    card as read (`card.customer` masked for the user, `card.can_change` and the other rights)."""

    key: str
    label: str
    template: str
    context: Callable[[Any, Any], dict[str, Any]]


def card_tabs(*, user: Any, customer: Any) -> list[CardTab]:
    """Tabs the installed apps add to `customer`'s card for `user`; each contributor is
    `fn(user, customer) -> list[CardTab]` and runs no query (it decides from the customer as read)."""
    out: list[CardTab] = []
    for contributor in registry.get_all(TABS):
        out.extend(contributor(user, customer))
    return out
