"""Reads of customer data. Every function starts from the permission-scoped queryset and returns
masked values where the user's role may not see them."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, router
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Concat, Lower
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual
from django.utils.translation import gettext, gettext_lazy

from accounts.models import Team, User, users_who_may_own_customers
from audit.models import AccessAction
from audit.services import access_record
from core import compiled, masking
from core.db import prefix_q, sortable, text_contains, text_ids, text_matches
from core.pagination import (
    KeysetPage,
    keyset_after,
    keyset_decode,
    keyset_flip,
    keyset_page_merged,
    keyset_page_of,
)
from core.querysets import RestrictedQuerySet
from core.timeline import TimelineCursor, TimelineEntry, before_q, timeline_provider, wants
from customers.choices import KEY_PERSON_DIMENSIONS
from customers.models import Contact, Customer, CustomerDocument, FamilyMember, OwnershipTransfer, Tag
from customers.search import CUSTOMER_TEXT_INDEX, first_readings, normalise_query, phone_query_forms

# Sort keys the list offers: name → ordering (every ordering ends with id for keyset paging).
# Names sort by their pinyin (张伟 under Z), the order Chinese users expect; English names sort as written.
CUSTOMER_SORTS: dict[str, list[str]] = {
    "name": ["name_pinyin", "id"],
    "-name": ["-name_pinyin", "-id"],
    "-created": ["-created_at", "-id"],
    "created": ["created_at", "id"],
    "-updated": ["-updated_at", "-id"],
    # Cities sort by their pinyin too (customers.search.city_key), then by name.
    "city": ["city_pinyin", "name_pinyin", "id"],
}
DEFAULT_SORT = "name"
# Filters the list and API offer: name → lookup. City and industry match as users type them
# (_filtered): a city by its start (北京 finds 北京 and 北京市, resolve_city_filter), an industry
# anywhere in it (电子 finds 电子信息 and 消费电子).
CUSTOMER_FILTERS: dict[str, str] = {
    "kind": "kind",
    "owner": "owner_id",
    "team": "team_id",
    "tag": "tags__id",
    "city": "city",
    "industry": "industry",
    "risk_preference": "risk_preference",
    "source_channel": "source_channel",
}


def mask_customer(user: User, customer: Customer) -> Customer:
    """Replace sensitive values (core.masking's registry) in memory for roles that must not see
    them. The instance is then marked so that it can never be saved."""
    return masking.mask_instance(user, customer)


def mask_contact(user: User, contact: Contact) -> Contact:
    """mask_customer() for a contact."""
    return masking.mask_instance(user, contact)


def customers_visible(user: User) -> QuerySet[Customer]:
    """The customers this user may see (the scoped queryset, alive only)."""
    return Customer.objects.restrict(user, "view")


def customer_merged_into(*, user: User, customer_id: int) -> int | None:
    """Where a merged-away customer's address leads: the id of the customer it was merged into
    (following later merges of that one), when `user` may see that customer; else None. Only the
    merge pointers are read outside the user's scope; what is returned is checked against it."""
    seen = {customer_id}
    current = customer_id
    while True:
        target = (Customer.objects.filter(pk=current, deleted_at__isnull=False, merged_into__isnull=False)
                  .values_list("merged_into_id", flat=True).first())
        if target is None or target in seen:
            break
        seen.add(target)
        current = target
    if current == customer_id:
        return None
    return current if customers_visible(user).filter(pk=current).exists() else None


def customer_filtered(user: User, filters: Mapping[str, Any], action: str = "view") -> QuerySet[Customer]:
    """Scoped customers narrowed by the list filters (unknown or empty filters are ignored)."""
    return _filtered(user, filters, action)[0]


def _filtered(
    user: User, filters: Mapping[str, Any], action: str = "view", scoped: QuerySet[Customer] | None = None,
    resolved: bool = False,
) -> tuple[QuerySet[Customer], bool]:
    """customer_filtered(), and whether its search matches a large part of the table. `scoped`: the
    user's customers for `action` when the caller has them (the API's compiled list builds them from
    the scope's template, core.compiled.ScopeTemplate). `resolved`: the city filter went through
    resolve_city_filter already (the compiled list resolves it once, outside the SQL it compiles)."""
    qs = Customer.objects.restrict(user, action) if scoped is None else scoped
    if not resolved:
        filters = resolve_city_filter(filters)
    dense = False
    for key, lookup in CUSTOMER_FILTERS.items():
        value = filters.get(key)
        if value in (None, ""):
            continue
        if key == "tag":
            # EXISTS, not a join (no duplicates, so no DISTINCT over the filtered set) and not IN
            # (SQLite would collect every tagged customer and sort them all before the first page):
            # the sort's index leads and each row is checked against (customer, tag)'s index.
            tagged = Customer.tags.through.objects.filter(customer_id=OuterRef("pk"), tag_id=value)
            qs = qs.filter(Exists(tagged))
        elif key == "city":
            qs = qs.filter(_city_q(value))
        elif key == "industry":
            qs = qs.filter(industry__icontains=value)
        else:
            qs = qs.filter(**{lookup: value})
    q = (filters.get("q") or "").strip()
    if q:
        qs, dense = _search_filter(qs, q, user=user)
    return qs, dense


# A city filter matching more cities than this compares by prefix instead of listing them.
CITY_FILTER_VALUES = 20


def cities_starting_with(text: str) -> list[str]:
    """The distinct cities (of all customers) starting with `text`, in order, at most
    CITY_FILTER_VALUES + 1, found by seeks on an index of the city in byte order (SQLite's
    (city, name_pinyin, id); `customer_city_bytes` on PostgreSQL): each query asks for the next
    two cities after a bound, so the usual answer, one city, costs one query of two seeks, and no
    customer of those cities is read. The seeks are not bounded above (a second bound would make
    SQLite walk the first city's rows): a city not starting with `text` ends the walk."""
    text = text.strip()
    key = sortable("city")

    def next_city(bound: Any, strict: bool) -> Subquery:
        after = GreaterThan(key, bound) if strict else GreaterThanOrEqual(key, bound)
        return Subquery(Customer.objects.filter(after).order_by(key).values("city")[:1])

    found: list[str] = []
    bound, strict = text, False
    while len(found) <= CITY_FILTER_VALUES:
        first = next_city(bound, strict)
        pair = Customer.objects.order_by().annotate(a=first, b=next_city(first, True)).values_list("a", "b")[:1]
        got = [city for city in next(iter(pair), ()) if city is not None and city.startswith(text)]
        found += got
        if len(got) < 2:
            break
        bound, strict = got[-1], True
    return found


@dataclass(frozen=True)
class _CityPrefix:
    """A city filter matching more than CITY_FILTER_VALUES cities: compared as a prefix range."""

    text: str


def resolve_city_filter(filters: Mapping[str, Any]) -> dict[str, Any]:
    """`filters` with a typed city replaced by the cities it stands for: the one city it starts
    (the usual case) as a plain string, so that the list sorted by name still walks the (city,
    name_pinyin, id) index and the API's page SQL stays compiled; several as a list; more than
    CITY_FILTER_VALUES as a _CityPrefix. None matching: the typed text (which finds nothing)."""
    value = filters.get("city")
    if not isinstance(value, str) or not value.strip():
        return dict(filters)
    cities = cities_starting_with(value)
    if len(cities) > CITY_FILTER_VALUES:
        return {**filters, "city": _CityPrefix(value.strip())}
    return {**filters, "city": cities if len(cities) > 1 else (cities or [value.strip()])[0]}


def _city_q(value: str | list[str] | _CityPrefix) -> Q:
    """The condition of a resolved city filter (resolve_city_filter)."""
    if isinstance(value, _CityPrefix):
        return prefix_q("city", value.text)
    if isinstance(value, list):
        return Q(city__in=value)
    return Q(city=value)


def _ordering_from_matches(qs: QuerySet[Customer], ordering: list[str]) -> tuple[QuerySet[Customer], list[str]]:
    """For a search matching many customers, sorted by text columns: sort by copies of the columns
    (`name_pinyin || ''`), which no index provides. Otherwise the database walks the list's sort
    index and tests every row, and names sharing a surname sit together in the pinyin order, far
    from its start (王 is wang: 9 rows in 10 read before the first match). With no index to walk
    it reads the matches from the search indexes and keeps the best page: time grows with the
    matches, not with the table."""
    fields = [o.lstrip("-") for o in ordering[:-1]]
    if not all(isinstance(Customer._meta.get_field(f), models.CharField) for f in fields):
        return qs, ordering  # dates: matches spread over time, so the date index finds them quickly
    qs = qs.annotate(**{f"_by_{f}": Concat(F(f), Value(""), output_field=models.CharField()) for f in fields})
    return qs, [f"{'-' if o.startswith('-') else ''}_by_{o.lstrip('-')}" for o in ordering[:-1]] + ordering[-1:]


# The columns of the HTML list's rows (customers.templatetags.customer_tags.customer_rows).
LIST_ROW_FIELDS = (
    "id", "name", "industry", "kind", "city", "phone", "owner_id", "owner__username", "owner__first_name",
    "owner__last_name", "team__name", "created_at", "last_verified_at",
)


def mask_rows(user: User, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """mask_customer() for rows read with values(): every sensitive column a row holds is masked
    for roles that must not see it."""
    return masking.mask_values(user, Customer, rows)


def _many_names_start_with(char: str) -> bool:
    """Whether more than SEARCH_LIST_IDS names start with `char`: _search_filter's test for a
    one-character search, asked for one row past the limit instead of reading every id up to it."""
    names = Customer.objects.filter(prefix_q("name", char)).order_by()
    # A constant, not the id: PostgreSQL's name index does not hold the id, and reading it from the
    # table made the planner scan the table (11 ms at 1M); this reads the index alone (0.4 ms).
    probe = names.annotate(one=Value(1)).values_list("one", flat=True)
    return bool(list(probe[SEARCH_LIST_IDS:SEARCH_LIST_IDS + 1]))


def _first_letter_parts(base: QuerySet[Customer], q: str) -> list[QuerySet[Customer]] | None:
    """A one-character search (a surname: 王 is 7 % of a Chinese customer base) as one queryset per
    pinyin range its names can sort in, or None when the character has no reading.

    Names starting with 王 sort among the keys starting with "wang": each part walks the list's
    (name_pinyin, id) index from its range's start and stops at the page's end, instead of the
    database collecting and sorting every match. The first character itself is tested in Python
    (keyset_page_merged's `keep`): see core.pagination._kept for why not in SQL."""
    readings = first_readings(q)
    if not readings:
        return None
    return [base.filter(name_pinyin__gte=r, name_pinyin__lt=r[:-1] + chr(ord(r[-1]) + 1)) for r in sorted(readings)]


def customer_list_rows(
    *, user: User, filters: Mapping[str, Any], sort: str = DEFAULT_SORT, cursor: str | None = None, size: int = 50
) -> KeysetPage:
    """One page of the HTML customer list as dicts of LIST_ROW_FIELDS plus "tags" (tag names in
    name order), masked: the same rows and order as the reference customer_list()
    (customers/tests/reference.py), without building model instances for them.

    A one-character search matching many customers (more than SEARCH_LIST_IDS, as _search_filter
    counts them), sorted by name, reads the page from the pinyin ranges of that character
    (_first_letter_parts); otherwise as the reference does."""
    ordering = CUSTOMER_SORTS.get(sort, CUSTOMER_SORTS[DEFAULT_SORT])
    q = (filters.get("q") or "").strip()
    qs = _filtered(user, {k: v for k, v in filters.items() if k != "q"})[0]
    dense, parts = False, None
    if q and ordering[0].lstrip("-") == "name_pinyin" and first_readings(q) and _many_names_start_with(q):
        parts = _first_letter_parts(qs, q)
    elif q:
        qs, dense = _search_filter(qs, q, user=user)
    if dense:
        qs, ordering = _ordering_from_matches(qs, ordering)
    columns = (*LIST_ROW_FIELDS, *(o.lstrip("-") for o in ordering if o.lstrip("-") not in LIST_ROW_FIELDS))
    page = keyset_page_merged(
        [p.values(*columns) for p in (parts or [qs])], ordering=ordering, cursor=cursor, size=size,
        keep=(lambda row: row["name"].startswith(q)) if parts else None,
    )
    tags = _tag_values([row["id"] for row in page.items])
    for row in page.items:
        row["tags"] = [tag["name"] for tag in tags.get(row["id"], ())]
    mask_rows(user, page.items)
    return page


# How many candidates each index contributes to the header search before ranking.
SEARCH_CANDIDATES = 200
# A list search matching at most this many customers is narrowed to their ids first.
SEARCH_LIST_IDS = 3000


@dataclass(frozen=True)
class _Source:
    """One index that answers part of a search: a b-tree range (`cond`, read in `order`) or a
    substring of `column` answered by the text index (`text`). `fields`: the card's fields it
    searches (as core.masking names them); `whole`: it matches only the whole value of a field the
    user sees masked."""

    cond: Q | None = None
    order: Any = None
    column: str = ""
    text: str = ""
    fields: tuple[str, ...] = ("name",)
    whole: bool = False


# An ID number as typed for a search: from its region code (6 digits) up to all 18 characters.
_ID_NUMBER_QUERY = re.compile(r"\d{6,17}[\dX]?")
# A whole resident ID number (18 characters, or the 15 digits of the first generation): what a role
# that sees ID numbers masked may search by (a shorter run of digits is a phone or a fragment).
_WHOLE_ID_NUMBER = re.compile(r"\d{15}|\d{17}[\dX]")
# A WeChat id as typed: starts with a letter, then letters, digits, "_" or "-".
_WECHAT_QUERY = re.compile(r"[A-Za-z][-_A-Za-z0-9]{2,63}")
# The fewest digits of a phone number (customers.forms): a shorter query is no whole number.
_PHONE_MIN_DIGITS = 5
# The card's fields the search box reaches (phone_digits holds both phones).
_SEARCHED_FIELDS = ("name", "email", "wechat_id", "phone", "phone_alt", "id_number")


def _search_modes(user: User) -> dict[str, str]:
    """How `user` may search each field the search box reaches (core.masking.search_mode)."""
    return {f: masking.search_mode(user, Customer, f) for f in _SEARCHED_FIELDS}


def _mode(modes: Mapping[str, str], *fields: str) -> str:
    """The strictest of the fields' search modes (a source that reads several fields)."""
    found = {modes.get(f, masking.SEARCH_FREE) for f in fields}
    for mode in (masking.SEARCH_NEVER, masking.SEARCH_WHOLE):
        if mode in found:
            return mode
    return masking.SEARCH_FREE


def _whole_phone_q(digits: str) -> Q:
    """Customers one of whose phones has exactly these digits, stored with or without the country
    code (phone_digits holds each phone's digits, space-separated): found through the text index,
    then compared as a whole."""
    exact = Q()
    for number in (digits, f"86{digits}", f"0086{digits}"):
        exact |= Q(phone_digits=number) | Q(phone_digits__startswith=f"{number} ") | Q(
            phone_digits__endswith=f" {number}")
    found = text_contains(CUSTOMER_TEXT_INDEX, "phone_digits", digits)
    return exact if found is None else found & exact


def _search_sources(q: str, *, modes: Mapping[str, str] | None = None) -> list[_Source]:
    """Every index that can answer `q`, most telling first. Nothing is answered by a scan:
    - name: exact and prefix (a range on the name, in name order so exact names come first);
      substrings of 2+ characters (bigrams for 张伟, trigrams beyond). A single character matches
      names starting with it (a surname), not every name containing it.
    - letters: pinyin and pinyin-initials prefixes; from 3 letters also pinyin substrings, e-mail
      prefixes and WeChat id prefixes.
    - digits (3+): phone-number fragments, also without a leading country code (+86 138…, 86138…
      find 138…). From 6 digits, ID number prefixes.
    - "@" first: e-mail domains ("@163", a substring of the address); other text with "@": e-mail
      prefixes.
    `modes` (_search_modes, from core.masking; default: every field searchable): a field the user
    sees masked is searched only by its whole value where its registration allows it (a whole phone
    number, a whole resident ID number), otherwise not at all. A fragment would be an oracle: one digit more
    at a time recovers the value.
    """
    modes = modes or {}
    text, key = normalise_query(q)
    email = Lower("email")
    free = {f for f in _SEARCHED_FIELDS if _mode(modes, f) == masking.SEARCH_FREE}

    def prefix(expression: Any, value: str, *fields: str) -> _Source:
        return _Source(cond=prefix_q(expression, value), order=sortable(expression), fields=fields or ("name",))

    if text.startswith("@"):
        if "email" not in free:
            return []
        domain = text.lower()
        return [_Source(column="email", text=domain, fields=("email",)) if len(domain) >= 3
                else prefix(email, domain, "email")]
    if "@" in text:
        return [prefix(email, text.lower(), "email")] if "email" in free else []
    sources = [prefix("name", text), _Source(column="name", text=text)] if "name" in free else []
    compact = re.sub(r"[\s-]+", "", text).upper()
    if _ID_NUMBER_QUERY.fullmatch(compact):
        mode = _mode(modes, "id_number")
        if mode == masking.SEARCH_FREE:
            sources.append(prefix("id_number", compact, "id_number"))
        elif mode == masking.SEARCH_WHOLE and _WHOLE_ID_NUMBER.fullmatch(compact):
            sources.append(_Source(cond=prefix_q("id_number", compact) & Q(id_number=compact),
                                   order=sortable("id_number"), fields=("id_number",), whole=True))
    if key.isdigit():
        mode = _mode(modes, "phone", "phone_alt")
        forms = phone_query_forms(text, key)
        if mode == masking.SEARCH_FREE:
            sources += [_Source(column="phone_digits", text=digits, fields=("phone", "phone_alt"))
                        for digits in forms if len(digits) >= 3]
        elif mode == masking.SEARCH_WHOLE:
            sources += [_Source(cond=_whole_phone_q(digits), order="pk", fields=("phone", "phone_alt"), whole=True)
                        for digits in forms if len(digits) >= _PHONE_MIN_DIGITS]
    elif key:
        if "name" in free:
            sources += [prefix("name_pinyin", key), prefix("name_initials", key)]
        if len(key) >= 3:
            if "email" in free:
                sources.append(prefix(email, text.lower(), "email"))
            if "name" in free:
                sources.append(_Source(column="name_pinyin", text=key))
        if _WECHAT_QUERY.fullmatch(text) and "wechat_id" in free:
            sources.append(prefix(Lower("wechat_id"), text.lower(), "wechat_id"))
    return sources


def _search_plan(user: User, q: str) -> list[_Source]:
    """_search_sources() for `user`. A search by the whole value of a field the user sees masked is
    recorded in the access log (who searched which field for what), hit or not: someone trying
    number after number shows there."""
    sources = _search_sources(q, modes=_search_modes(user))
    whole = sorted({f for s in sources if s.whole for f in s.fields})
    if whole:
        access_record(user=user, action=AccessAction.SEARCH, object_repr=gettext("Customer search"),
                      detail={"fields": whole, "q": q.strip()})
    return sources


def _search_q(sources: list[_Source]) -> Q:
    """Customers matching any of the search's sources (name, pinyin, initials, phone fragment,
    e-mail prefix or domain, WeChat id, ID number) as one condition, every part of it answered by
    an index."""
    cond = Q()
    for source in sources:
        part = source.cond if source.cond is not None else text_contains(CUSTOMER_TEXT_INDEX, source.column,
                                                                          source.text)
        if part is not None:
            cond = part if not cond else cond | part
    return cond


def _search_filter(qs: QuerySet[Customer], q: str, *, user: User) -> tuple[QuerySet[Customer], bool]:
    """`qs` narrowed to the customers matching `q` as `user` may search (_search_plan), and whether
    many match.

    Usually few match (at most SEARCH_LIST_IDS, counted from the indexes): the query then names
    their ids, and the page is sorted from those rows alone. Otherwise the database combines the
    indexes itself (the list then keeps it from walking the sort index, see
    _ordering_from_matches); the cost grows with the matches: a single common surname, 王, is 7 %
    of a Chinese customer base (docs/performance.md).
    """
    sources = _search_plan(user, q)
    ids: set[Any] = set()
    for source in sources:
        found: list[Any] | None
        if source.cond is not None:
            found = list(Customer.objects.filter(source.cond).values_list("pk", flat=True)[: SEARCH_LIST_IDS + 1])
        else:
            found = text_ids(CUSTOMER_TEXT_INDEX, source.column, source.text, limit=SEARCH_LIST_IDS + 1)
            if found is None:
                if text_contains(CUSTOMER_TEXT_INDEX, source.column, source.text) is None:
                    continue  # no index for it (one character): the prefix source covers it
                return qs.filter(_search_q(sources)), True
        ids.update(found)
        if len(ids) > SEARCH_LIST_IDS:
            return qs.filter(_search_q(sources)), True
    return qs.filter(pk__in=sorted(ids)), False


@dataclass
class SearchHit:
    customer: Customer
    matched: str  # which key matched: name, pinyin, initials, phone, email, wechat, id_number


_SEARCH_FIELDS = (
    "id", "name", "kind", "city", "phone", "phone_alt", "email", "name_pinyin", "name_initials",
    "phone_digits", "id_number", "wechat_id", "assets", "owner_id",
)


def customer_search(*, user: User, q: str, limit: int = 10) -> list[SearchHit]:
    """Header search: name substring, pinyin, initials, phone fragment (with or without +86),
    e-mail prefix or domain, WeChat id prefix, and, for roles that see them, ID number prefix.

    Ranked: exact name, then name prefix, then other name matches, then pinyin/phone/email.
    Each index contributes up to SEARCH_CANDIDATES rows of the user's scope (the scope is part of
    every query, so another team's customers never fill the candidates); the best `limit` are then
    read in full. A handful of indexed queries whatever the table size.
    """
    text, key = normalise_query(q)
    if not text:
        return []
    low = text.lower()
    visible = customers_visible(user)
    fields = ("id", "name", "name_pinyin", "name_initials")
    candidates: dict[int, tuple[int, str, str, str]] = {}
    found_by: dict[int, tuple[str, ...]] = {}  # the fields of the first source that found each candidate
    for source in _search_plan(user, text):
        rows: Iterable[tuple[Any, ...]]
        if source.cond is not None:
            rows = visible.filter(source.cond).order_by(source.order).values_list(*fields)[:SEARCH_CANDIDATES]
        else:
            rows = text_matches(visible, CUSTOMER_TEXT_INDEX, source.column, source.text, fields=fields,
                                limit=SEARCH_CANDIDATES) or []
        for row in rows:
            candidates.setdefault(row[0], row)
            found_by.setdefault(row[0], source.fields)
        if sum(1 for r in candidates.values() if r[1].lower() == low) >= limit:
            break  # enough exact names: nothing else can rank above them

    def rank(row: tuple[int, str, str, str]) -> tuple[int, int, str, int]:
        pk, name, pinyin, initials = row
        name = name.lower()
        if name == low:
            r = 0
        elif name.startswith(low):
            r = 1
        elif low in name:
            r = 2
        elif key and (pinyin == key or initials == key):
            r = 3
        else:
            r = 4
        return (r, len(name), name, pk)

    best = [row[0] for row in sorted(candidates.values(), key=rank)[:limit]]
    by_pk = {c.pk: c for c in visible.filter(pk__in=best).only(*_SEARCH_FIELDS)}
    hits = []
    for pk in best:
        c = by_pk.get(pk)
        if c is None:  # changed scope between the two queries
            continue
        hits.append(SearchHit(customer=mask_customer(user, c), matched=_matched(found_by[pk], c, low, key)))
    return hits


def _matched(fields: tuple[str, ...], c: Customer, low: str, key: str) -> str:
    """Which key of `c` the search matched, named from the source that found it: only a source the
    user may search can name a field."""
    if "id_number" in fields:
        return "id_number"
    if "phone" in fields:
        return "phone"
    if "email" in fields:
        return "email"
    if "wechat_id" in fields:
        return "wechat"
    if low in c.name.lower():
        return "name"
    if key and c.name_initials.startswith(key):
        return "initials"
    return "pinyin"


@dataclass
class CustomerCard:
    """Everything the card shows. Documents and ownership transfers are read when first used
    (the API's card needs neither)."""

    customer: Customer
    contacts: list[Contact]
    family_members: list[FamilyMember]
    can_change: bool
    can_delete: bool
    can_transfer: bool
    user: User | None = None

    @cached_property
    def documents(self) -> list[CustomerDocument]:
        return list(
            CustomerDocument.objects.restrict(self.user).filter(customer_id=self.customer.pk)
            .select_related("uploaded_by")
        )

    @cached_property
    def transfers(self) -> list[OwnershipTransfer]:
        return list(
            OwnershipTransfer.objects.filter(customer_id=self.customer.pk)
            .select_related("from_user", "to_user", "actor")[:20]
        )


def _may(user: User, action: str) -> Exists | Value:
    """Whether the user may do `action` with the customer of the outer (visible) query: a constant
    when the role may not do it at all or when the action's scope is the view scope (the usual
    case: the row is visible, so it is in reach), otherwise a column of the query."""
    objects = Customer.objects.all()
    if not objects.permits(user, action):
        return Value(False)
    if objects.scope(user, action) == objects.scope(user, "view"):
        return Value(True)
    return Exists(Customer.objects.restrict(user, action).filter(pk=OuterRef("pk")))


def customers_stale(*, user: User, limit: int = 10) -> QuerySet[Customer]:
    """Customers whose card was not verified within KEHU_STALE_AFTER_DAYS, least recently verified
    first: the whole scope for those who lead a team (User.leads_team: a manager their team's, an
    administrator everyone's), the user's own customers for everyone else."""
    qs = customers_visible(user).filter(Customer.stale_q())
    if not user.leads_team:
        qs = qs.filter(owner=user)
    return qs.select_related("owner").order_by("last_verified_at", "id")[:limit]


def customer_ids_visible(user: User) -> QuerySet[Customer, Any]:
    """Ids of the customers the user may see, as a subquery (used by the audit app via core.registry)."""
    return customers_visible(user).values("pk")


def owners_assignable(user: User) -> Iterable[User]:
    """Users a customer may be given to by this user: active users whose role may own customers
    (not the read-only analyst, see accounts.roles.OWNER_ROLES), of the user's team unless the user
    sees all customers."""
    qs = users_who_may_own_customers().select_related("team").order_by("team__name", "username")
    if not user.sees_all_customers:
        qs = qs.filter(team_id=user.team_id) if user.team_id else qs.filter(pk=user.pk)
    return qs


@timeline_provider(kinds={"transfer": gettext_lazy("Owner changes")})
def ownership_transfer_timeline(
    user: User, customer_id: int, kinds: Collection[str] | None, before: TimelineCursor | None, limit: int
) -> list[TimelineEntry]:
    """The customer's ownership transfers for the card's timeline (one query)."""
    if not wants(["transfer"], kinds):
        return []
    rows = (
        OwnershipTransfer.objects.restrict(user, "view").filter(customer_id=customer_id)
        .filter(before_q(field_name="at", kind="transfer", before=before))
        .select_related("from_user", "to_user", "actor").order_by("-at", "-id")[:limit]
    )
    label = gettext("Owner change")
    return [
        TimelineEntry(
            kind="transfer", kind_label=label, at=t.at, pk=t.pk,
            title=gettext("%(from)s → %(to)s") % {"from": t.from_user or "—", "to": t.to_user or "—"},
            detail=t.reason, actor=str(t.actor or ""),
        )
        for t in rows
    ]


# --- The API's reads: plain values, no model instances -------------------------------------------
# The API answers with JSON, so it reads values() rows rather than model instances, and the queries
# of its card, whose shape is the same on every call, from SQL compiled once (core.compiled). Same
# scope, same masking, same order as the plain-ORM reference reads customer_card() and customer_list()
# (customers/tests/reference.py), which the equivalence tests compare them with.

# A customer's owner and team as columns of the customer's row.
_OWNER_COLUMNS = ("owner_id", "owner__username", "owner__first_name", "owner__last_name")
_TEAM_COLUMNS = ("team_id", "team__name")
_NAME_COLUMNS = ("id", "username", "first_name", "last_name")
CARD_CONTACT_FIELDS = tuple(f.attname for f in Contact._meta.concrete_fields if f.attname != "deleted_at")
CARD_FAMILY_FIELDS = tuple(f.attname for f in FamilyMember._meta.concrete_fields if f.attname != "deleted_at")
_SCORE_FIELDS = tuple(f for f, _label in KEY_PERSON_DIMENSIONS)


@dataclass
class CustomerCardValues:
    """The card as plain values: `customer` holds the requested columns plus "owner"
    ({id, username, name}), "team" ({id, name} or None) and "tags" ([{id, name}] in name order);
    contacts and family members hold their columns (contacts also "relationship_score").
    `owner_person` is the owner as a User with its name columns (the HTML card shows it)."""

    customer: dict[str, Any]
    contacts: list[dict[str, Any]]
    family_members: list[dict[str, Any]]
    can_change: bool
    can_delete: bool
    can_transfer: bool
    owner_person: User


def _with_refs(rows: list[dict[str, Any]], tags: Mapping[int, list[dict[str, Any]]],
               people: dict[int, User] | None = None) -> list[dict[str, Any]]:
    """Owner, team and tags of customer rows as the nested values the API returns; the columns
    they were read from are removed. `people` collects the owners as Users (by id)."""
    owners: dict[int, dict[str, Any]] = {}
    people = {} if people is None else people
    for row in rows:
        owner_id = row.pop("owner_id")
        username, first, last = row.pop("owner__username"), row.pop("owner__first_name"), row.pop("owner__last_name")
        owner = owners.get(owner_id)
        if owner is None:
            # The name as the user model writes it (family name first for Chinese names).
            person = people[owner_id] = User.from_db(None, _NAME_COLUMNS, [owner_id, username, first, last])
            owner = owners[owner_id] = {"id": owner_id, "username": username, "name": str(person)}
        row["owner"] = owner
        team_id, team_name = row.pop("team_id"), row.pop("team__name")
        row["team"] = None if team_id is None else {"id": team_id, "name": team_name}
        row["tags"] = tags.get(row["id"], [])
    return rows


def _tag_links(links: QuerySet) -> QuerySet:
    """Tag-link rows (customer_id, tag_id, tag__name) in tag name order, as Tag orders them."""
    return links.order_by("tag__name", "tag_id").values("customer_id", "tag_id", "tag__name")


def _tags_by_customer(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """Tag-link rows (_tag_links) as each customer's tags ({id, name})."""
    out: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["customer_id"], []).append({"id": row["tag_id"], "name": row["tag__name"]})
    return out


def _tag_values(customer_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each customer's tags ({id, name}, in name order), in one query, for customers already read
    through the user's scope (a page's rows)."""
    if not customer_ids:
        return {}
    names, slots = compiled.in_slots("customer", customer_ids)
    rows = compiled.fetch(
        ("customers.tags_of", len(names)),
        lambda v: _tag_links(Customer.tags.through.objects.filter(customer_id__in=[v[n] for n in names])),
        slots,
    )
    return _tags_by_customer(rows)


def _scoped_query(key: str, queryset: RestrictedQuerySet, user: User, values: dict[str, Any],
                  build: Any) -> compiled.Query:
    """The read of `build(queryset restricted for user, values)`, compiled under `key` and the
    shape of the user's scope (restrict() itself when the scope cannot be a template)."""
    scope = compiled.ScopeTemplate.of(queryset, user, "view")
    if scope is None:
        return compiled.Query(None, lambda v: build(queryset.restrict(user, "view"), v), values)
    if scope.empty:
        return compiled.Query(None, lambda _v: [], {})
    return compiled.Query((key, scope.key), lambda v: build(compiled.scoped(queryset, scope, v), v),
                          {**scope.values, **values})


def _scoped_rows(key: str, queryset: RestrictedQuerySet, user: User, values: dict[str, Any],
                 build: Any) -> list[dict[str, Any]]:
    """The rows of _scoped_query()."""
    return compiled.fetch_many([_scoped_query(key, queryset, user, values, build)])[0]


def customer_card_values(*, user: User, customer_id: int, fields: Collection[str]) -> CustomerCardValues:
    """The card as plain values (see CustomerCardValues), for the API: the customer's
    `fields`, owner, team, tags and permissions, its contacts and family members, masked. Four
    reads, each scoped to the user, whose SQL is compiled once per scope shape; on PostgreSQL they
    go to the server in one round trip (compiled.fetch_many). Raises Customer.DoesNotExist when
    the customer is outside the user's scope."""
    queries, finish = _card_reads(user, customer_id, fields)
    return finish(compiled.fetch_many(queries))


def _card_reads(user: User, customer_id: int, fields: Collection[str]) -> tuple[
        list[compiled.Query], Callable[[list[list[dict[str, Any]]]], CustomerCardValues]]:
    """The reads of customer_card_values and the function that makes its answer from their rows
    (a caller may send more reads in the same round trip)."""
    fields = tuple(fields)
    may = {action: _may(user, action) for action in ("change", "delete", "transfer")}
    checks = {a: compiled.ScopeTemplate.of(Customer.objects.all(), user, a, prefix=f"may_{a}")
              for a, m in may.items() if not isinstance(m, Value)}

    def card_query(scoped: QuerySet, v: Mapping[str, Any]) -> QuerySet:
        annotations = {}
        for action, check in checks.items():
            objects = Customer.objects.all()
            allowed = (compiled.scoped(objects, check, v) if check is not None
                       else objects.restrict(user, action))
            annotations[f"_can_{action}"] = Exists(allowed.filter(pk=OuterRef("pk")))
        return (scoped.filter(pk=v["customer_id"]).annotate(**annotations)
                .values(*fields, *_OWNER_COLUMNS, *_TEAM_COLUMNS, *annotations))

    key = ("customers.card", fields, tuple(None if c is None else c.key for c in checks.values()), tuple(checks))
    extra = {name: value for check in checks.values() if check is not None for name, value in check.values.items()}
    if any(c is None for c in checks.values()):
        # A permission scope that cannot be a template: the query is built for this user alone.
        card = compiled.Query(None, lambda v: card_query(Customer.objects.restrict(user, "view"), v),
                              {"customer_id": customer_id})
    else:
        card = _scoped_query(repr(key), Customer.objects.all(), user, {"customer_id": customer_id, **extra},
                             card_query)
    # The tag links only of a customer in the user's scope, like the other reads; the id inside the
    # scope's subquery too, which makes it a primary-key lookup (SQLite otherwise walks the whole
    # scope: 270 ms at 1M customers).
    tags = _scoped_query(
        "customers.card_tags", Customer.objects.all(), user, {"customer_id": customer_id},
        lambda qs, v: _tag_links(Customer.tags.through.objects.filter(
            customer_id=v["customer_id"], customer__in=qs.filter(pk=v["customer_id"]).values("pk"))),
    )
    contacts = _scoped_query(
        "customers.card_contacts", Contact.objects.all(), user, {"customer_id": customer_id},
        lambda qs, v: qs.filter(customer_id=v["customer_id"]).values(*CARD_CONTACT_FIELDS),
    )
    family = _scoped_query(
        "customers.card_family", FamilyMember.objects.all(), user, {"customer_id": customer_id},
        lambda qs, v: qs.filter(customer_id=v["customer_id"]).values(*CARD_FAMILY_FIELDS),
    )

    def finish(results: list[list[dict[str, Any]]]) -> CustomerCardValues:
        rows, tag_rows, contact_rows, family_rows = results
        if not rows:
            raise Customer.DoesNotExist("Customer matching query does not exist.")
        customer = rows[0]
        can = {a: bool(customer.pop(f"_can_{a}")) if a in checks else bool(m.value) for a, m in may.items()}  # type: ignore[union-attr]  # not in checks: a Value
        people: dict[int, User] = {}
        _with_refs([customer], _tags_by_customer(tag_rows), people)
        mask_rows(user, [customer])
        for contact in contact_rows:
            scores = [contact[f] for f in _SCORE_FIELDS]
            contact["relationship_score"] = None if any(s is None for s in scores) else sum(scores)
        masking.mask_values(user, Contact, contact_rows)
        return CustomerCardValues(
            customer=customer, contacts=contact_rows, family_members=family_rows,
            can_change=can["change"], can_delete=can["delete"], can_transfer=can["transfer"],
            owner_person=people[customer["owner"]["id"]],
        )

    return [card, tags, contacts, family], finish


def customer_page_values(
    *, user: User, filters: Mapping[str, Any], fields: Collection[str], sort: str = DEFAULT_SORT,
    cursor: str | None = None, size: int = 50,
) -> KeysetPage:
    """The list as plain values, for the API: the same rows in the same order and the same
    cursors, each row a dict of `fields` plus "owner", "team" and "tags" (see CustomerCardValues),
    masked. Two queries (the page with owner and team, the page's tags); without a search the
    page's SQL is compiled once per shape (filters present, sort, direction, size, scope shape)."""
    fields = tuple(fields)
    ordering = CUSTOMER_SORTS.get(sort, CUSTOMER_SORTS[DEFAULT_SORT])
    filters = resolve_city_filter(filters)
    searched = None
    if (filters.get("q") or "").strip():
        # A search's query follows its matches (their ids, or the dense ordering): built each time.
        searched, dense = _filtered(user, filters, resolved=True)
        if dense:
            searched, ordering = _ordering_from_matches(searched, ordering)
    boundary: list[Any] = []
    backwards = False
    if cursor:
        boundary, backwards = keyset_decode(cursor)
        if len(boundary) != len(ordering):
            raise ValidationError(gettext("The page link is invalid or out of date."), code="invalid_cursor")
    walk = keyset_flip(ordering) if backwards else ordering
    columns = (*fields, *_OWNER_COLUMNS, *_TEAM_COLUMNS)
    # The sort's columns too: the cursors are made of them.
    sort_columns = tuple(c for c in (o.lstrip("-") for o in ordering) if c not in columns)
    present = tuple(k for k in CUSTOMER_FILTERS if k != "q" and filters.get(k) not in (None, ""))
    values = {**{f"filter_{k}": filters[k] for k in present}, **{f"after_{i}": v for i, v in enumerate(boundary)}}

    def page_query(scoped: QuerySet[Customer], v: Mapping[str, Any]) -> QuerySet[Customer, dict[str, Any]]:
        qs = searched if searched is not None else _filtered(
            user, {k: v[f"filter_{k}"] for k in present}, scoped=scoped, resolved=True)[0]
        if boundary:
            qs = qs.filter(keyset_after(walk, [v[f"after_{i}"] for i in range(len(walk))]))
        return qs.order_by(*walk).values(*columns, *sort_columns)[: size + 1]

    if searched is not None:
        rows = list(page_query(searched, values))
    else:
        key = repr(("customers.page", columns, present, tuple(walk), bool(boundary), size))
        rows = _scoped_rows(key, Customer.objects.all(), user, values, page_query)
    page = keyset_page_of(rows, ordering=ordering, size=size, backwards=backwards, from_cursor=cursor is not None)
    rows = page.items
    _with_refs(rows, _tag_values([row["id"] for row in rows]))
    for row in rows:
        for column in sort_columns:
            del row[column]
    page.items = mask_rows(user, rows)
    return page


# --- The HTML card's read: the same as the API's, as the model instances its template uses -------

# The card's columns of the customer: every concrete field but the owner and team, which come
# with the row as their own columns (customer_card_values).
_CARD_CUSTOMER_FIELDS = tuple(
    f.attname for f in Customer._meta.concrete_fields if f.attname not in ("owner_id", "team_id"))
_CUSTOMER_ATTNAMES = tuple(f.attname for f in Customer._meta.concrete_fields)


@dataclass
class CustomerCardRead(CustomerCard):
    tags: list[Tag] = field(default_factory=list)
    documents_count: int | None = None


def customer_card_instances(*, user: User, customer_id: int, count_documents: bool = False) -> CustomerCardRead:
    """The card as the model instances its template uses, built from the
    compiled reads of customer_card_values (same scope, same masking, the owner's name columns
    read with the customer): the ORM turned the card's five querysets into SQL on every
    request, which cost more than the database spent on them. With `count_documents`, also how
    many documents the user may see (customer_documents_count), in the same round trip.
    Raises Customer.DoesNotExist."""
    queries, finish = _card_reads(user, customer_id, _CARD_CUSTOMER_FIELDS)
    if count_documents:
        queries.append(_documents_count_query(user, customer_id))
    results = compiled.fetch_many(queries)
    values = finish(results[:4])
    row = values.customer
    owner, team, tags = row.pop("owner"), row.pop("team"), row.pop("tags")
    db = router.db_for_read(Customer)
    row["owner_id"], row["team_id"] = owner["id"], team["id"] if team else None
    # from_db takes the values in the model's field order.
    customer = Customer.from_db(db, _CUSTOMER_ATTNAMES, tuple(row[f] for f in _CUSTOMER_ATTNAMES))
    customer._masked = True  # masked by customer_card_values: never to be saved
    customer.owner = values.owner_person
    customer.owner._state.db = db
    customer.team = Team.from_db(db, ("id", "name"), (team["id"], team["name"])) if team else None
    contacts = []
    for contact_row in values.contacts:
        contact_row.pop("relationship_score")  # a property of the model
        contact = Contact.from_db(db, CARD_CONTACT_FIELDS, tuple(contact_row[f] for f in CARD_CONTACT_FIELDS))
        contact._masked = True  # the phone was masked on the row
        contacts.append(contact)
    family = [FamilyMember.from_db(db, CARD_FAMILY_FIELDS, tuple(r[f] for f in CARD_FAMILY_FIELDS))
              for r in values.family_members]
    return CustomerCardRead(
        customer=customer, contacts=contacts, family_members=family, can_change=values.can_change,
        can_delete=values.can_delete, can_transfer=values.can_transfer, user=user,
        tags=[Tag.from_db(db, ("id", "name"), (t["id"], t["name"])) for t in tags],
        documents_count=_documents_count(results[4]) if count_documents else None,
    )


def customer_documents_count(*, user: User, customer_id: int) -> int:
    """How many of the customer's documents the user may see (the tab's count), from SQL compiled
    once per scope shape (restrict() itself when the scope cannot be a template)."""
    return _documents_count(compiled.fetch_many([_documents_count_query(user, customer_id)])[0])


def _documents_count_query(user: User, customer_id: int) -> compiled.Query:
    return _scoped_query(
        "customers.card_documents_count", CustomerDocument.objects.all(), user, {"customer_id": customer_id},
        lambda qs, v: qs.filter(customer_id=v["customer_id"]).order_by().values("customer_id").annotate(n=Count("pk")),
    )


def _documents_count(rows: list[dict[str, Any]]) -> int:
    return rows[0]["n"] if rows else 0
