"""Reads of segmentation data. Every figure about customers starts from the permission-scoped
queryset (`Customer.objects.restrict(user, …)`), so class sizes, revenue and profit count only the
customers the user may see, and a saved segment shared with everyone shows each viewer only the
members in their own scope. Aggregates are GROUP BY queries: a fixed number per page."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.roles import Role
from core.pagination import KeysetPage, keyset_page
from core.timeline import CardPanel
from customers.models import Customer
from customers.selectors import mask_customer
from segmentation import filters, potential
from segmentation.builtins import NOT_SET, RFM_ACTIONS, class_label, scheme_label
from segmentation.choices import AbcTier, LifecycleStage, Loyalty, RfmSegment, SchemeKind
from segmentation.manual import scheme_applies
from segmentation.models import (
    CustomerSegment,
    LifecycleMark,
    LifecycleTransition,
    SavedSegment,
    Scheme,
    SchemeAssignment,
    SchemeClass,
    SchemeMembership,
    SegmentationSettings,
)

# The CustomerSegment column holding each computed scheme's class.
COMPUTED_COLUMN = {
    "abc": "abc_tier",
    "rfm": "rfm_segment",
    "lifecycle": "lifecycle_stage",
    "loyalty": "loyalty",
    "value_matrix": "value_class",
}
# The textbook ABC split (share of customers, share of profit) shown next to the actual one.
ABC_REFERENCE: dict[str, tuple[Decimal, Decimal]] = {
    AbcTier.A: (Decimal("0.05"), Decimal("0.50")), AbcTier.B: (Decimal("0.15"), Decimal("0.30")),
    AbcTier.C: (Decimal("0.80"), Decimal("0.20")),
}
MEMBER_ORDERING = ["name_pinyin", "id"]
PARETO_POINTS = 100


# --- Schemes -----------------------------------------------------------------------------------

def schemes_all() -> list[Scheme]:
    """Every scheme with its classes (and their managers) in display order: two queries."""
    return list(Scheme.objects.order_by("position", "id").prefetch_related(
        _classes_prefetch()))


def _classes_prefetch() -> Any:
    from django.db.models import Prefetch

    return Prefetch("classes", queryset=SchemeClass.objects.select_related("manager", "rules_owner")
                    .order_by("position", "id"))


def scheme_get(key: str) -> Scheme:
    """One scheme with its classes; Http404 when there is none with this key."""
    scheme = Scheme.objects.filter(key=key).prefetch_related(_classes_prefetch()).first()
    if scheme is None:
        raise Http404(_("No such scheme."))
    return scheme


def class_rules_visible(user: Any, cls: SchemeClass) -> bool:
    """Whether the user may read a class's filter. A filter copied from a saved segment not shared
    with everyone is read by whoever may read that segment (`saved_segments_visible`): its
    creator, the team it was shared with and administrators."""
    if not cls.rules_private:
        return True
    if not (user and user.is_authenticated and user.is_active):
        return False
    return bool(user.effective_role == Role.ADMIN or (cls.rules_owner_id and cls.rules_owner_id == user.pk)
                or (cls.rules_team_id and cls.rules_team_id == user.team_id))


def class_rules_hidden_note(cls: SchemeClass) -> str:
    """What is shown instead of a filter the user may not read."""
    if cls.rules_owner is not None:
        return _("Conditions of a private segment of %(owner)s") % {"owner": cls.rules_owner}
    return _("Conditions of a private segment")


def class_name(scheme: Scheme, cls: SchemeClass) -> str:
    """The class's name in the user's language (built-in classes) or as the user named it."""
    return class_label(scheme.key, cls.key, cls.name) if scheme.built_in else cls.name


def value_potential_source() -> Any:
    """What supplied the value matrix's potential at the last refresh, as users read it
    (segmentation/potential.py), or None before the first refresh."""
    key = SegmentationSettings.objects.filter(pk=1).values_list("value_potential_source", flat=True).first()
    return potential.label_of(key) if key else None


def last_refresh() -> tuple[date | None, Any]:
    """(as of, refreshed at) of the last segments refresh, or (None, None) if none ran (one
    query on the primary key: every row of a refresh carries the same dates)."""
    row = CustomerSegment.objects.order_by("pk").values_list("as_of", "refreshed_at").first()
    return (row[0], row[1]) if row else (None, None)


# --- Members -----------------------------------------------------------------------------------

def class_condition(scheme: Scheme, class_key: str) -> Q:
    """Customers in one class of a scheme, as a condition over Customer."""
    if scheme.kind == SchemeKind.COMPUTED:
        return Q(**{f"segment__{COMPUTED_COLUMN[scheme.key]}": class_key})
    spec = filters.scheme_fields().get(filters.SCHEME_PREFIX + scheme.key)
    if spec is None:  # pragma: no cover - the scheme was just read
        raise Http404
    return filters._scheme_q(spec, [class_key])


def class_customers(*, user: Any, scheme: Scheme, class_key: str, action: str = "view") -> QuerySet[Customer]:
    """The customers of one class the user may see (Http404 for an unknown class)."""
    if not any(c.key == class_key for c in scheme.classes.all()):
        raise Http404(_("No such class."))
    return Customer.objects.restrict(user, action).filter(class_condition(scheme, class_key))


def saved_segments_visible(user: Any) -> QuerySet[SavedSegment]:
    """Segments the user may use: their own, their team's, those shared with everyone (all, for
    administrators)."""
    qs = SavedSegment.objects.select_related("owner", "shared_with_team")
    if not (user and user.is_authenticated and user.is_active):
        return qs.none()
    if user.effective_role == Role.ADMIN:
        return qs
    q = Q(owner_id=user.pk) | Q(shared_with_all=True)
    if user.team_id:
        q |= Q(shared_with_team_id=user.team_id)
    return qs.filter(q)


def saved_segment_get(*, user: Any, segment_id: int) -> SavedSegment:
    """A segment the user may use; Http404 otherwise (the same answer as for a missing one)."""
    segment = saved_segments_visible(user).filter(pk=segment_id).first()
    if segment is None:
        raise Http404(_("No such segment."))
    return segment


def customers_matching(*, user: Any, rules: Sequence[dict[str, Any]], action: str = "view") -> QuerySet[Customer]:
    """Customers matching a filter, among those the user may perform `action` on."""
    return Customer.objects.restrict(user, action).filter(filters.rules_q(rules))


def saved_segment_customers(*, user: Any, segment: SavedSegment, action: str = "view") -> QuerySet[Customer]:
    """The segment's members the user may see — what campaigns and call lists target. Evaluated
    live; a filter that no longer validates (a scheme it used was deleted) matches nobody."""
    try:
        return customers_matching(user=user, rules=segment.rules, action=action)
    except ValidationError:
        return Customer.objects.none()


def members_page(*, user: Any, queryset: QuerySet[Customer], cursor: str | None = None,
                 size: int = 50) -> KeysetPage:
    """One keyset page of customers (by name) with owner, team and computed classes, masked.
    Raises ValidationError for a bad cursor."""
    qs = queryset.select_related("owner", "team", "segment")
    page = keyset_page(qs, ordering=MEMBER_ORDERING, cursor=cursor, size=size)
    page.items = [mask_customer(user, c) for c in page.items]
    return page


# --- Scheme pages ------------------------------------------------------------------------------

@dataclass
class ClassRow:
    key: str
    name: str
    count: int = 0
    revenue: Decimal = Decimal(0)
    profit: Decimal = Decimal(0)
    customer_share: float | None = None
    profit_share: float | None = None
    manager: Any = None
    class_id: int | None = None
    action: str = ""
    reference: tuple[Decimal, Decimal] | None = None
    loss_making: int = 0
    loss: Decimal = Decimal(0)
    conditions: list[str] = field(default_factory=list)
    conditions_hidden: str = ""  # shown instead of a private filter (class_rules_hidden_note)


@dataclass
class SchemeStats:
    scheme: Scheme
    name: str
    rows: list[ClassRow]
    total: int
    revenue: Decimal
    profit: Decimal
    unplaced: int = 0  # visible customers without a class yet (not computed / not evaluated)
    extra: dict[str, Any] = field(default_factory=dict)


def _agg() -> dict[str, Any]:
    return {"n": Count("pk"), "revenue": Sum("segment__revenue"), "profit": Sum("segment__profit")}


def scheme_stats(*, user: Any, scheme: Scheme) -> SchemeStats:
    """Class sizes, revenue and profit in the window per class over the user's customers, in one
    GROUP BY query (plus one for ABC's loss-making customers)."""
    visible = Customer.objects.restrict(user, "view")
    classes = list(scheme.classes.all())
    by_key: dict[str | None, dict[str, Any]] = {}
    unplaced = 0
    if scheme.kind == SchemeKind.COMPUTED:
        column = f"segment__{COMPUTED_COLUMN[scheme.key]}"
        for row in visible.values(column).annotate(**_agg()).order_by():
            by_key[row[column]] = row
        unplaced = (by_key.pop(None, None) or {}).get("n", 0)
    else:
        ids = {c.pk: c.key for c in classes}
        current: QuerySet[SchemeAssignment] | QuerySet[SchemeMembership]
        if scheme.kind == SchemeKind.MANUAL:
            current = SchemeAssignment.objects.filter(customer_id=OuterRef("pk"), scheme_id=scheme.pk,
                                                      ended_at__isnull=True)
        else:
            current = SchemeMembership.objects.filter(customer_id=OuterRef("pk"), scheme_id=scheme.pk)
        rows = visible.annotate(_class=Subquery(current.values("scheme_class_id")[:1])).values("_class") \
            .annotate(**_agg()).order_by()
        for row in rows:
            key = ids.get(row["_class"])
            if key is None and scheme.kind == SchemeKind.MANUAL:
                key = next((c.key for c in classes if c.is_catch_all), NOT_SET)
            if key is None:
                unplaced += row["n"]
                continue
            into = by_key.setdefault(key, {"n": 0, "revenue": Decimal(0), "profit": Decimal(0)})
            into["n"] += row["n"]
            into["revenue"] = (into["revenue"] or 0) + (row["revenue"] or 0)
            into["profit"] = (into["profit"] or 0) + (row["profit"] or 0)
    fields = filters.catalogue(include_rules=False) if scheme.kind == SchemeKind.RULES else None
    out = []
    for cls in classes:
        row = by_key.get(cls.key) or {}
        out.append(ClassRow(
            key=cls.key, name=class_name(scheme, cls), count=row.get("n", 0) or 0,
            revenue=row.get("revenue") or Decimal(0), profit=row.get("profit") or Decimal(0),
            manager=cls.manager, class_id=cls.pk,
            action=str(RFM_ACTIONS.get(cls.key, "")) if scheme.key == "rfm" else cls.suggested_action,
            reference=ABC_REFERENCE.get(cls.key) if scheme.key == "abc" else None,
            conditions=(filters.describe(cls.rules, fields=fields)
                        if fields is not None and class_rules_visible(user, cls) else []),
            conditions_hidden="" if class_rules_visible(user, cls) else class_rules_hidden_note(cls),
        ))
    total = sum(r.count for r in out)
    revenue = sum((r.revenue for r in out), Decimal(0))
    profit = sum((r.profit for r in out), Decimal(0))
    for r in out:
        r.customer_share = r.count / total if total else None
        r.profit_share = float(r.profit / profit) if profit else None
    stats = SchemeStats(scheme=scheme, name=scheme_label(scheme), rows=out, total=total, revenue=revenue,
                        profit=profit, unplaced=unplaced)
    if scheme.key == "abc":
        loss = visible.filter(segment__loss_making=True).aggregate(n=Count("pk"), profit=Sum("segment__profit"))
        stats.extra["loss_making"] = loss["n"]
        stats.extra["loss"] = loss["profit"] or Decimal(0)
    return stats


def abc_pareto(*, user: Any, total: int) -> list[tuple[float, float]]:
    """The Pareto (whale) curve of the user's customers: (cumulative share of customers, cumulative
    profit as a share of the total positive profit), customers by profit descending, ties by id.

    One GROUP BY query, no sort of the customers: the refresh stored each customer's place in that
    order (`profit_rank`, 1 … N over all customers); cutting the ranks into PARETO_POINTS buckets
    and adding up each bucket's customers and profit gives points that lie exactly on the curve of
    any subset of customers (a team's), since a subset keeps the order of the whole."""
    if not total:
        return []
    ranked = _ranked_count(last_refresh()[1])
    if not ranked:
        return []
    bucket = ExpressionWrapper((F("segment__profit_rank") - 1) * PARETO_POINTS / ranked, output_field=IntegerField())
    rows = (
        Customer.objects.restrict(user, "view").filter(segment__profit_rank__isnull=False)
        .annotate(_bucket=bucket).values("_bucket")
        .annotate(n=Count("pk"), profit=Sum("segment__profit"),
                  positive=Sum(Case(When(segment__profit__gt=0, then=F("segment__profit")), default=Value(0),
                                    output_field=DecimalField(max_digits=16, decimal_places=2))))
        .order_by("_bucket")
    )
    rows = list(rows)
    count = sum(r["n"] for r in rows)
    positive = sum((Decimal(r["positive"] or 0) for r in rows), Decimal(0))
    if not count or positive <= 0:
        return []
    points = [(0.0, 0.0)]
    seen, cumulative = 0, Decimal(0)
    for r in rows:
        seen += r["n"]
        cumulative += Decimal(r["profit"] or 0)
        points.append((seen / count, float(cumulative / positive)))
    return points


def rfm_segment_of(r: int, f: int) -> str:
    """The named RFM segment of an (R, F) cell — the grid of docs/segmentation.md, used to colour
    cells nobody sits in; filled cells take their segment from the data."""
    if r <= 2:
        return RfmSegment.HIBERNATING if f <= 2 else RfmSegment.AT_RISK if f <= 4 else RfmSegment.CANT_LOSE
    if r == 3:
        return RfmSegment.ABOUT_TO_SLEEP if f <= 2 else RfmSegment.NEED_ATTENTION if f == 3 else RfmSegment.LOYAL
    if r == 4:
        return RfmSegment.PROMISING if f == 1 else RfmSegment.POTENTIAL_LOYALIST if f <= 3 else RfmSegment.LOYAL
    return RfmSegment.NEW if f == 1 else RfmSegment.POTENTIAL_LOYALIST if f <= 3 else RfmSegment.CHAMPIONS


def rfm_grid(*, user: Any) -> list[list[dict[str, Any]]]:
    """The 5 × 5 R × F grid of the user's customers: rows R = 5 … 1, columns F = 1 … 5, each cell
    {r, f, count, segment, label} (one GROUP BY query)."""
    counts: dict[tuple[int, int], tuple[int, str]] = {}
    rows = (Customer.objects.restrict(user, "view").filter(segment__r_score__isnull=False)
            .values("segment__r_score", "segment__f_score", "segment__rfm_segment")
            .annotate(n=Count("pk")).order_by())
    for row in rows:
        key = (row["segment__r_score"], row["segment__f_score"])
        n, _seg = counts.get(key, (0, ""))
        counts[key] = (n + row["n"], row["segment__rfm_segment"])
    labels = dict(RfmSegment.choices)
    grid = []
    for r in range(5, 0, -1):
        line = []
        for f in range(1, 6):
            n, segment = counts.get((r, f), (0, ""))
            segment = segment or rfm_segment_of(r, f)
            line.append({"r": r, "f": f, "count": n, "segment": segment, "label": str(labels.get(segment, ""))})
        grid.append(line)
    return grid


@dataclass
class Flows:
    start: date
    end: date
    stages: list[tuple[str, str]]
    matrix: list[list[int]]  # [from][to], "" (first stage) as the first row
    from_labels: list[str]
    links: list[dict[str, Any]]
    total: int


def lifecycle_flows(*, user: Any, start: date, end: date) -> Flows:
    """Changes of lifecycle stage between two dates (inclusive) among the user's customers, as a
    from → to matrix (one GROUP BY query)."""
    rows = (LifecycleTransition.objects.restrict(user, "view").filter(on__gte=start, on__lte=end)
            .values("from_stage", "to_stage").annotate(n=Count("pk")).order_by())
    stages = [(s.value, str(s.label)) for s in LifecycleStage]
    index = {key: i for i, (key, _label) in enumerate(stages)}
    froms = [("", _("(first stage)")), *stages]
    from_index = {key: i for i, (key, _label) in enumerate(froms)}
    matrix = [[0] * len(stages) for _ in froms]
    links = []
    total = 0
    for row in rows:
        i, j = from_index.get(row["from_stage"]), index.get(row["to_stage"])
        if i is None or j is None:
            continue
        matrix[i][j] += row["n"]
        total += row["n"]
    for i, (fk, flabel) in enumerate(froms):
        for j, (_tk, tlabel) in enumerate(stages):
            if matrix[i][j]:
                links.append({"source": f"{flabel} ›", "target": f"› {tlabel}", "value": matrix[i][j],
                              "from": fk, "to": stages[j][0]})
    return Flows(start=start, end=end, stages=stages, matrix=matrix, from_labels=[label for _k, label in froms],
                 links=links, total=total)


def overview(*, user: Any) -> list[dict[str, Any]]:
    """Every scheme with its classes and the user's customers per class (one GROUP BY per kind of
    source: the computed columns together, and one per manual/rule scheme)."""
    schemes = schemes_all()
    return [{"scheme": s, "name": scheme_label(s), "kind": s.get_kind_display(),
             "classes": [class_name(s, c) for c in s.classes.all()]} for s in schemes]


# --- The card panel ----------------------------------------------------------------------------

def _money(amount: Decimal | None) -> str:
    amount = Decimal(amount or 0)
    number = f"{abs(amount):,.0f}"
    sign = "−" if amount < 0 else ""
    return f"{sign}¥{number}" if (get_language() or "").startswith("zh") else f"{sign}CNY {number}"


def _ranked_count(refreshed_at: Any) -> int:
    """How many customers the last refresh ranked by profit (cached per refresh: it is the
    denominator of "top 3 %" on every card and the bucket width of the Pareto curve)."""
    key = f"segmentation:ranked:{refreshed_at.isoformat() if refreshed_at else ''}"
    value = cache.get(key)
    if value is None:
        # Every customer of the refresh has a rank 1 … N, so N is the number of rows (a count on
        # a narrow index, not a scan of the wide rows).
        value = CustomerSegment.objects.count()
        cache.set(key, value, 3600)
    return int(value)


@dataclass
class PanelRow:
    scheme: str
    value: str
    why: str = ""
    action: str = ""
    url: str = ""
    badge: str = ""
    change_url: str = ""
    note: str = ""


def customer_segments(*, user: Any, customer_id: int) -> dict[str, Any] | None:
    """A customer's class in every scheme, with why — for the card and the API. None when the
    user may not see the customer. A fixed number of queries."""
    from django.urls import reverse

    from accounts.roles import Cap

    head = (Customer.objects.restrict(user, "view").filter(pk=customer_id)
            .annotate(_can_change=Exists(Customer.objects.restrict(user, "change").filter(pk=OuterRef("pk"))))
            .values("pk", "kind", "_can_change").first())
    if head is None:
        return None
    can_change = bool(head["_can_change"]) and user.can(Cap.CHANGE)
    segment = CustomerSegment.objects.restrict(user, "view").filter(customer_id=customer_id).first()
    schemes = schemes_all()
    current = {a.scheme_id: a for a in SchemeAssignment.objects.restrict(user, "view")
               .filter(customer_id=customer_id, ended_at__isnull=True).select_related("scheme_class")}
    members = {m.scheme_id: m for m in SchemeMembership.objects.restrict(user, "view")
               .filter(customer_id=customer_id).select_related("scheme_class")}
    mark = (LifecycleMark.objects.restrict(user, "view").filter(customer_id=customer_id, cleared_on__isnull=True)
            .order_by("-marked_on", "-id").first())
    computed: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    for scheme in schemes:
        name = scheme_label(scheme)
        classes = {c.key: c for c in scheme.classes.all()}
        if scheme.kind == SchemeKind.COMPUTED:
            if segment is None:
                continue
            key = getattr(segment, COMPUTED_COLUMN[scheme.key])
            cls = classes.get(key)
            computed.append({
                "scheme": scheme.key, "scheme_name": name, "kind": scheme.kind, "class_key": key,
                "class_name": class_name(scheme, cls) if cls else key,
                "why": _why(scheme.key, segment), "action": str(RFM_ACTIONS.get(key, "")) if scheme.key == "rfm"
                else "", "manager": str(cls.manager) if cls and cls.manager else "",
                "url": reverse("segmentation:class_members", args=[scheme.key, key]),
            })
            continue
        if scheme.kind == SchemeKind.MANUAL and not scheme_applies(scheme.key, head["kind"]):
            continue
        assignment = current.get(scheme.pk) if scheme.kind == SchemeKind.MANUAL else None
        found = assignment if scheme.kind == SchemeKind.MANUAL else members.get(scheme.pk)
        cls = found.scheme_class if found else None
        if cls is None and scheme.kind == SchemeKind.MANUAL:
            cls = next((c for c in classes.values() if c.is_catch_all), None)
        others.append({
            "scheme": scheme.key, "scheme_name": name, "kind": scheme.kind,
            "class_key": cls.key if cls else "", "class_name": class_name(scheme, cls) if cls else
            _("Not evaluated yet"), "note": getattr(found, "note", "") if scheme.kind == SchemeKind.MANUAL else "",
            "since": assignment.assigned_at if assignment else None,
            "manager": str(cls.manager) if cls and cls.manager else "",
            "url": reverse("segmentation:class_members", args=[scheme.key, cls.key]) if cls else "",
            "change_url": reverse("segmentation:customer_scheme", args=[customer_id, scheme.key])
            if scheme.kind == SchemeKind.MANUAL and can_change else "",
        })
    return {
        "customer_id": customer_id,
        "computed": computed,
        "others": others,
        "segment": segment,
        "as_of": segment.as_of if segment else None,
        "mark": mark,
        "can_change": can_change,
        "mark_url": reverse("segmentation:customer_lifecycle", args=[customer_id]) if can_change else "",
    }


def _why(scheme_key: str, s: CustomerSegment) -> str:
    """Why the customer is in its class, in words."""
    if scheme_key == "abc":
        values: dict[str, Any] = {"tier": s.abc_tier, "profit": _money(s.profit)}
        ranked = _ranked_count(s.refreshed_at)
        if s.profit_rank and ranked and s.profit > 0:
            values["percent"] = max(1, math.ceil(100 * s.profit_rank / ranked))
            text = _("%(tier)s: profit %(profit)s, top %(percent)d%%") % values
        else:
            text = _("%(tier)s: profit %(profit)s") % values
        if s.loss_making:
            text += " — " + _("loss-making after costs to serve")
        return text
    if scheme_key == "rfm":
        if s.r_score is None:
            return _("No completed order in the window.")
        return _("RFM %(r)d-%(f)d-%(m)d: last order %(days)d days ago, %(orders)d orders, revenue %(revenue)s") % {
            "r": s.r_score, "f": s.f_score or 0, "m": s.m_score or 0, "days": s.recency_days or 0,
            "orders": s.frequency, "revenue": _money(s.monetary)}
    if scheme_key == "lifecycle":
        stage = str(dict(LifecycleStage.choices).get(s.lifecycle_stage, s.lifecycle_stage))
        orders = _("%(count)d completed orders in all") % {"count": s.orders_total}
        if s.lifecycle_since:
            return _("%(stage)s since %(date)s; %(orders)s") % {"stage": stage, "date": s.lifecycle_since.isoformat(),
                                                                "orders": orders}
        return orders
    if scheme_key == "loyalty":
        if s.loyalty == Loyalty.OLD:
            return _("repeat buyer, not loyal yet")
        if s.loyalty == Loyalty.LOYAL:
            return _("buys regularly (loyal by the lifecycle rule)")
        return ""
    if scheme_key == "value_matrix":
        return _("current value %(current)s, potential %(potential)s") % {
            "current": _money(s.current_value), "potential": _money(s.potential_value)}
    return ""


def card_panels(user: Any, customer_id: int) -> list[CardPanel]:
    """The card's "Segments" panel (core.registry "card_panels")."""
    data = customer_segments(user=user, customer_id=customer_id)
    if data is None:
        return []
    return [CardPanel(key="segments", title=_("Segments"), template="segmentation/card_panel.html",
                      context=data)]



def abc_tiers(customer_ids: list[int]) -> dict[int, str]:
    """The ABC tier of each of the customers that has one (core.registry "abc_tiers": apps below
    segmentation, such as the wealth desk's review cadence, ask for tiers through it). One query."""
    return dict(CustomerSegment.objects.filter(customer_id__in=customer_ids).values_list("customer_id", "abc_tier"))
