"""Compiled SQL for fixed query shapes: compile a queryset once per shape, then run it with new values.

Turning a queryset into SQL (building the WHERE tree, resolving joins, listing the columns) costs
a hot endpoint more CPU than the database spends answering it: about 1 ms per query for a wide
model. Most hot queries have one shape whatever the values ("this customer, in this user's
scope"), so the SQL can be made once and kept.

Correctness rests on two rules:

- The cache key names the shape and never a value. Values go in as named *slots*; the shape key
  is what the caller says changes the SQL (the fields, the filters present, the page size) plus,
  for a permission scope, the structure of the scope condition itself (see ScopeTemplate), so two
  users whose scopes are built differently never share SQL.
- The SQL is only kept when it is proven value-independent: the query is compiled twice with two
  different sets of probe values; the SQL text must be identical and each slot must reach the
  parameters unchanged (so a value that changes the SQL, or that the ORM transforms, such as a
  ``contains`` pattern or a date parsed from text, makes the shape uncacheable, and the caller
  falls back to the ORM). Probes are only compiled, never sent to the database.

Rows come back as dicts (like ``values()``), with the same converters the ORM applies.

With the setting ``KEHU_COMPILED_VERIFY`` (the test suite turns it on for every test, see
core/testing.py) every call also builds its queryset with the real values and compiles it: the SQL
and parameters must be exactly the cached SQL with the values in their slots, and building it must
not run a query. A key that leaves out something that changes the SQL (two calls that should
differ but share a key) then fails the test that makes the second call, instead of answering
with the first call's SQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet, FullResultSet, ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Model, Q, QuerySet
from django.db.models.fields import AutoFieldMixin
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery

from core.querysets import RestrictedQuerySet

# Slots hold plain scalars; None and booleans change the SQL (IS NULL, constant folding) and so
# belong in the shape key instead.
_SLOT_TYPES = (int, str)
# The cache is small: shapes are few (endpoints × scope kinds × page sizes); a full cache is
# emptied rather than tracked, which keeps the hit path to one dict lookup.
MAX_SHAPES = 512


class Uncacheable(Exception):
    """This query shape cannot be kept as SQL: run it through the ORM."""


class ShapeMismatch(AssertionError):
    """KEHU_COMPILED_VERIFY: a call's query is not the SQL kept under its key (the key misses
    something that changes the SQL), or building it ran a query."""


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # Per parameter: ("slot", name) or ("const", value).
    params: tuple[tuple[str, Any], ...]
    names: tuple[str, ...]
    # Per column index: (converter functions, expression), as the ORM's compiler applies them.
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]


_shapes: dict[Hashable, _Compiled | None] = {}
_lock = threading.Lock()


def clear() -> None:
    """Forget every compiled shape (tests; after a schema change in a long-running process)."""
    with _lock:
        _shapes.clear()
        _inserts.clear()


def _probe(value: Any, name: str, round_: int, index: int) -> Any:
    if isinstance(value, bool) or not isinstance(value, _SLOT_TYPES):
        raise Uncacheable(f"slot {name!r}: {type(value).__name__} values cannot be slots")
    if isinstance(value, int):
        # Far outside any id or count, distinct per slot and per round.
        return -(7_000_000_000_000 + round_ * 1_000_000 + index)
    return f"\x1fprobe{round_}:{index}\x1f"


def _compile(build: Callable[[Mapping[str, Any]], QuerySet], values: Mapping[str, Any], using: str) -> _Compiled:
    compiled = []
    probes = []
    for round_ in (1, 2):
        probe = {name: _probe(v, name, round_, i) for i, (name, v) in enumerate(values.items())}
        try:
            qs = build(probe)
            compiler = qs.query.get_compiler(using=using)
            sql, params = compiler.as_sql()
        except (EmptyResultSet, FullResultSet, ValidationError, ValueError, TypeError) as exc:
            raise Uncacheable(f"the query does not compile with probe values: {exc}") from exc
        compiled.append((sql, tuple(params), compiler, qs))
        probes.append(probe)
    (sql1, params1, compiler, qs), (sql2, params2, _c, _q) = compiled
    if sql1 != sql2 or len(params1) != len(params2):
        raise Uncacheable("the SQL depends on the values")
    by_probe = {(p1, type(p1)): name for name, p1 in probes[0].items()}
    template: list[tuple[str, Any]] = []
    for p1, p2 in zip(params1, params2, strict=True):
        name = by_probe.get((p1, type(p1)))
        if name is not None and p2 == probes[1][name]:
            template.append(("slot", name))
        elif name is None and p1 == p2 and type(p1) is type(p2):
            template.append(("const", p1))
        else:
            raise Uncacheable("a value does not reach the SQL as a plain parameter")
    query = qs.query
    names = (*query.extra_select, *query.values_select, *query.annotation_select)
    if not query.values_select or len(names) != compiler.col_count:
        raise Uncacheable("only values() querysets are kept as SQL")
    fields = [s[0] for s in compiler.select[: compiler.col_count]]
    converters = tuple(
        (index, tuple(convs), expression) for index, (convs, expression) in compiler.get_converters(fields).items()
    )
    return _Compiled(sql=sql1, params=tuple(template), names=names, converters=converters)


def _shape(key: Hashable, build: Callable[[Mapping[str, Any]], QuerySet], values: Mapping[str, Any],
           using: str) -> _Compiled | None:
    connection = connections[using]
    # The value types are part of the shape: a str where an int was compiled would skip the ORM's
    # int() on the way in.
    full_key = (connection.alias, connection.vendor, key, tuple((n, type(v)) for n, v in values.items()))
    try:
        compiled = _shapes[full_key]
    except KeyError:
        try:
            compiled = _compile(build, values, using)
        except Uncacheable:
            compiled = None  # remembered, so the probes are not compiled again on every call
        with _lock:
            if len(_shapes) >= MAX_SHAPES:
                _shapes.clear()
            _shapes[full_key] = compiled
    if compiled is not None and settings.KEHU_COMPILED_VERIFY:
        _verify(key, compiled, build, values, using)
    return compiled


def _verify(key: Hashable, compiled: _Compiled, build: Callable[[Mapping[str, Any]], QuerySet],
            values: Mapping[str, Any], using: str) -> None:
    """KEHU_COMPILED_VERIFY: the query this call builds, compiled by the ORM with its real values,
    must be the kept SQL with the values in their slots; building and compiling it must not run a
    query (which would run only on the first call in production). Raises ShapeMismatch."""
    ran: list[str] = []

    def no_queries(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        ran.append(sql)
        return execute(sql, *args)

    with connections[using].execute_wrapper(no_queries):
        try:
            sql, params = build(values).query.get_compiler(using=using).as_sql()
        except (EmptyResultSet, FullResultSet) as exc:
            sql, params = f"<{type(exc).__name__}: no SQL>", ()
    if ran:
        raise ShapeMismatch(f"compiled shape {key!r}: building the query ran SQL: {ran}")
    expected = tuple(values[v] if kind == "slot" else v for kind, v in compiled.params)
    if sql != compiled.sql or tuple(params) != expected:
        raise ShapeMismatch(
            f"compiled shape {key!r}: this call's query is not the SQL kept under its key (the key "
            f"leaves out something that changes the SQL)\n kept: {compiled.sql} {expected}\n"
            f" this call: {sql} {tuple(params)}"
        )


@dataclass(frozen=True)
class Query:
    """One read for fetch_many(): `build(values)` is a ``values()`` queryset (or any iterable of
    dicts), kept as SQL under `key`; a `key` of None runs `build(values)` as it is."""

    key: Hashable | None
    build: Callable[[Mapping[str, Any]], Any]
    values: Mapping[str, Any]


def fetch(
    key: Hashable,
    build: Callable[[Mapping[str, Any]], QuerySet],
    values: Mapping[str, Any],
    *,
    using: str = DEFAULT_DB_ALIAS,
) -> list[dict[str, Any]]:
    """The rows of ``build(values)`` (a ``values()`` queryset) as dicts, from SQL compiled once per
    `key`. `build` must use the values only as filter values (it is called with probe values to
    find where they land); anything else that changes the query belongs in `key`. A shape that
    cannot be kept is run through the ORM, with the same rows."""
    return fetch_many([Query(key, build, values)], using=using)[0]


def fetch_many(queries: Sequence[Query], *, using: str = DEFAULT_DB_ALIAS) -> list[list[dict[str, Any]]]:
    """The rows of each query, as fetch() gives them. On PostgreSQL the compiled ones go to the
    server together, as one multi-statement query (psycopg's client-side binding, Django's
    default): one round trip instead of one per query, each of which costs the client and the
    server more than a small read itself. Elsewhere they run one after the other."""
    connection = connections[using]
    shapes = [None if q.key is None else _shape(q.key, q.build, q.values, using) for q in queries]
    out: list[list[dict[str, Any]]] = [[] for _ in queries]
    batch = []
    for i, (query, shape) in enumerate(zip(queries, shapes, strict=True)):
        if shape is None:
            out[i] = list(query.build(query.values))
        else:
            batch.append((i, shape, tuple(query.values[v] if kind == "slot" else v for kind, v in shape.params)))
    if not batch:
        return out
    with connection.cursor() as cursor:
        if len(batch) > 1 and _runs_many_statements(connection, cursor):
            cursor.execute("; ".join(shape.sql for _i, shape, _p in batch),
                           tuple(p for _i, _s, params in batch for p in params))
            for n, (i, shape, _params) in enumerate(batch):
                if n:
                    cursor.nextset()
                out[i] = _dicts(shape, cursor.fetchall(), connection)
        else:
            for i, shape, params in batch:
                cursor.execute(shape.sql, params)
                out[i] = _dicts(shape, cursor.fetchall(), connection)
    return out


def _runs_many_statements(connection: Any, cursor: Any) -> bool:
    """Whether one execute() may hold several statements: psycopg's client-side binding cursor
    (Django's default on PostgreSQL; not with the server_side_binding option)."""
    if connection.vendor != "postgresql":
        return False
    import psycopg

    return isinstance(cursor.cursor, psycopg.ClientCursor)


def _dicts(compiled: _Compiled, rows: Sequence[tuple[Any, ...]], connection: Any) -> list[dict[str, Any]]:
    names = compiled.names
    if not compiled.converters:
        return [dict(zip(names, row, strict=True)) for row in rows]
    out = []
    for row in rows:
        values_ = list(row)
        for index, convs, expression in compiled.converters:
            value = values_[index]
            for converter in convs:
                value = converter(value, expression, connection)
            values_[index] = value
        out.append(dict(zip(names, values_, strict=True)))
    return out


# --- Inserting one row -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Insert:
    sql: str
    fields: tuple[Any, ...]
    tail: tuple[Any, ...]  # parameters after the values (RETURNING on some backends)
    returning_params: Any


_inserts: dict[Hashable, _Insert] = {}


def insert(instance: Model, *, using: str = DEFAULT_DB_ALIAS, wait_for_flush: bool = True) -> None:
    """``instance.save()`` for a new row of a model with an auto primary key, from an INSERT
    compiled once per model: the same columns and values (each field's pre_save and database
    preparation), the new primary key set on the instance. Hot audit rows (one per API read) use it.
    Models with save signal receivers, parents or a preset primary key go through save() itself.

    ``wait_for_flush=False`` is for a row whose loss in a database-server crash is acceptable (an
    access-log row of a read): on PostgreSQL, outside any transaction, the statement itself turns
    ``synchronous_commit`` off for its own one-statement transaction, so the commit does not wait
    for the disk — one round trip, where BEGIN, SET LOCAL, INSERT and COMMIT took four. The row is
    not lost on an application crash and the database stays consistent; the last ~0.6 s of such
    commits can be lost if the server itself crashes (docs/deploy.md). Inside a transaction, or on
    SQLite (WAL with synchronous=NORMAL already commits this way), nothing changes."""
    model = type(instance)
    meta = model._meta
    pk = meta.pk
    if (
        instance.pk is not None or meta.parents or not isinstance(pk, AutoFieldMixin)
        or pre_save.has_listeners(model) or post_save.has_listeners(model)
    ):
        instance.save(using=using)
        return
    connection = connections[using]
    key = (connection.alias, connection.vendor, meta.label)
    compiled = _inserts.get(key)
    if compiled is None:
        fields = tuple(f for f in meta.local_concrete_fields if f is not pk and not f.generated)
        query = InsertQuery(model)
        query.insert_values(fields, [instance])
        compiler = query.get_compiler(using=using)
        compiler.returning_fields = [pk]
        ((sql, params),) = compiler.as_sql()
        compiled = _Insert(sql=sql, fields=fields, tail=tuple(params[len(fields):]),
                           returning_params=compiler.returning_params)
        _inserts[key] = compiled
    values = []
    for field in compiled.fields:
        value = field.pre_save(instance, True)
        if hasattr(value, "resolve_expression"):
            instance.save(using=using)  # an expression is SQL, not a value: the ORM writes it
            return
        values.append(field.get_db_prep_save(value, connection=connection))
    sql = compiled.sql
    if not wait_for_flush and connection.vendor == "postgresql" and not connection.in_atomic_block:
        # set_config(..., is_local) lasts until the end of the transaction, and the commit reads
        # the setting: evaluated in RETURNING, it covers exactly this statement's commit.
        sql += ", set_config('synchronous_commit', 'off', true)"
    with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
        cursor.execute(sql, (*values, *compiled.tail))
        if connection.features.can_return_columns_from_insert:
            new_pk = connection.ops.fetch_returned_insert_columns(cursor, compiled.returning_params)[0]
        else:
            new_pk = connection.ops.last_insert_id(cursor, meta.db_table, pk.column)
    instance.pk = new_pk
    instance._state.adding = False
    instance._state.db = using


# --- Permission scopes as templates --------------------------------------------------------------

@dataclass(frozen=True)
class ScopeTemplate:
    """The rows `restrict(user, action)` allows, as a shape and its values.

    ``empty`` is True where restrict() returns no rows at all (inactive user, action not
    permitted). Otherwise ``key`` is the structure of the scope condition (connectors, negation,
    lookups, value types, and None/boolean literals) and ``values`` its other literals as slots
    named ``<prefix><n>``: users whose scopes are built alike share SQL; users whose scopes are
    built differently (all customers, own and team's, own only) never do."""

    empty: bool
    key: Hashable
    values: Mapping[str, Any]
    _tree: Any = None

    @classmethod
    def of(cls, queryset: RestrictedQuerySet, user: Any, action: str = "view", *,
           prefix: str = "scope") -> ScopeTemplate | None:
        """The template of ``queryset.restrict(user, action)`` (same checks, same condition), or None
        when the condition holds values that cannot be slots (then use restrict() itself)."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return cls(empty=True, key=("empty",), values={})
        if not queryset.permits(user, action):
            return cls(empty=True, key=("empty",), values={})
        values: dict[str, Any] = {}
        try:
            tree = _abstract(queryset.scope(user, action), prefix, values)
        except Uncacheable:
            return None
        return cls(empty=False, key=tree, values=values, _tree=tree)

    def q(self, values: Mapping[str, Any]) -> Q:
        """The scope condition with `values` in its slots (real values or probes)."""
        if self.empty:
            raise ValueError("an empty scope has no condition")
        return _concrete(self._tree, values)


def _abstract(q: Q, prefix: str, values: dict[str, Any]) -> tuple[Any, ...]:
    children: list[Any] = []
    for child in q.children:
        if isinstance(child, Q):
            children.append(_abstract(child, prefix, values))
            continue
        if not isinstance(child, tuple):  # a Q's other children are (lookup, value) pairs
            raise Uncacheable(f"scope condition part {child!r}")
        lookup, value = child
        if value is None or isinstance(value, bool):
            children.append((lookup, "literal", value))
        elif isinstance(value, _SLOT_TYPES):
            name = f"{prefix}{len(values)}"
            values[name] = value
            children.append((lookup, "slot", name))
        elif isinstance(value, float | Decimal):
            raise Uncacheable(f"scope value of type {type(value).__name__}")
        else:
            try:
                hash(value)
            except TypeError:
                raise Uncacheable(f"scope value {value!r} is not hashable") from None
            children.append((lookup, "literal", value))
    return ("Q", q.connector, q.negated, tuple(children))


def _concrete(tree: tuple[Any, ...], values: Mapping[str, Any]) -> Q:
    _tag, connector, negated, children = tree
    parts: list[Any] = []
    for child in children:
        if child[0] == "Q":
            parts.append(_concrete(child, values))
        else:
            lookup, kind, value = child
            parts.append((lookup, values[value] if kind == "slot" else value))
    return Q(*parts, _connector=connector, _negated=negated)


def scoped(queryset: QuerySet, template: ScopeTemplate, values: Mapping[str, Any]) -> QuerySet:
    """`queryset` restricted by `template` (the equivalent of restrict(user, action))."""
    if template.empty:
        return queryset.none()
    return queryset.filter(template.q(values))


def in_slots(name: str, items: Sequence[Any]) -> tuple[tuple[str, ...], dict[str, Any]]:
    """Slot names and values for an ``__in`` list of fixed length (the length goes in the key)."""
    names = tuple(f"{name}{i}" for i in range(len(items)))
    return names, dict(zip(names, items, strict=True))
