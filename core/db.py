# ruff: noqa: S608, S611
# (This module builds SQL from identifiers quoted by _q() and declared in code, never from input;
# every value is a bound parameter.)
"""Vendor-specific database features behind one portable interface.

This is the only module that asks which database it talks to. Everything above it (selectors, the
demo loader, migrations through the helpers below) stays portable:

- Bulk writes: `reserve_ids()` hands out primary keys up front and `insert_rows()` writes plain
  tuples with `executemany` on SQLite and `COPY` on PostgreSQL (no model instances, no RETURNING).
- Text search: a `TextIndex` declares which columns of a table are searched by substring. On SQLite
  it becomes an FTS5 table with the trigram tokenizer (substrings of 3+ characters) plus a bigram
  table (2-character substrings: the trigram tokenizer cannot match those, and 张伟 is a whole
  name), both kept in sync by triggers. On PostgreSQL it becomes GIN indexes: pg_trgm for
  3+ characters of Latin text and digits, and a GIN index over each value's character bigrams for
  CJK text (pg_trgm only sees CJK characters under a UTF-8 ctype, and never 2-character queries).
- Prefix search: `prefix_q()` is a range on a b-tree in byte order (COLLATE "C" on PostgreSQL, so
  the range means "starts with" whatever the database's collation), with `sortable()` for the
  matching ORDER BY.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import BooleanField, Expression, F, Model, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import Collate
from django.db.models.lookups import GreaterThanOrEqual, LessThan
from django.utils import timezone


def vendor(using: str = DEFAULT_DB_ALIAS) -> str:
    return connections[using].vendor


def is_postgresql(using: str = DEFAULT_DB_ALIAS) -> bool:
    return vendor(using) == "postgresql"


def is_sqlite(using: str = DEFAULT_DB_ALIAS) -> bool:
    return vendor(using) == "sqlite"


def _q(name: str) -> str:
    """A quoted identifier (the same quoting on both databases)."""
    return '"' + name.replace('"', '""') + '"'


# --- Bulk writes ---------------------------------------------------------------------------------

def reserve_ids(model: type[Model], count: int, using: str = DEFAULT_DB_ALIAS) -> list[int]:
    """`count` primary keys for rows about to be inserted with explicit ids.

    PostgreSQL: taken from the table's sequence, so concurrent inserts can never collide with them.
    SQLite: the next ids after the highest ever used (the caller holds the write lock inside its
    transaction, so nobody else can take them meanwhile).
    """
    if count <= 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connections[using].cursor() as cursor:
        if is_postgresql(using):
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, count]
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT coalesce(max({_q(pk)}), 0) FROM {_q(table)}")
        highest = cursor.fetchone()[0]
        if is_sqlite(using):
            # AUTOINCREMENT never reuses an id, not even one whose row was deleted.
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            highest = max(highest, row[0] if row else 0)
    return list(range(highest + 1, highest + 1 + count))


@contextlib.contextmanager
def bulk_load_settings(using: str = DEFAULT_DB_ALIAS, cache_mb: int = 1024) -> Iterator[None]:
    """Connection settings for a large load, restored afterwards. SQLite: a page cache large enough
    to hold the growing indexes (the default 2 MB makes every index insert a disk round trip) and
    temporary sorts in memory. PostgreSQL: no wait for the WAL flush on commit."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            before = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA cache_size=-{int(cache_mb) * 1024}")
            temp_store = not connection.in_atomic_block  # SQLite refuses the change inside a transaction
            if temp_store:
                cursor.execute("PRAGMA temp_store=MEMORY")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size={int(before)}")
                if temp_store:
                    cursor.execute("PRAGMA temp_store=DEFAULT")
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
    else:
        yield


@contextlib.contextmanager
def indexes_deferred(models: Sequence[type[Model]], using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Drop the secondary indexes of `models`' tables for the body, then build them again.

    For loads that at least double a table: building an index from sorted data costs a fraction of
    keeping it up to date row by row (measured on SQLite: inserting 100,000 customers takes 3.7 s
    of CPU with their 12 indexes, 1.3 s without them plus 0.9 s to build them afterwards; the gap
    widens with the table). Indexes that back a constraint (primary key, unique) stay. Runs inside
    the caller's transaction; on PostgreSQL the tables are locked until it commits.
    """
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("indexes_deferred() must run inside a transaction")
    saved: list[tuple[str, str]] = []
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                    [table],
                )
            elif connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                    "AND tablename = %s AND indexname NOT IN "
                    "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
                    [table, _q(table)],
                )
            else:
                continue
            saved += cursor.fetchall()
        for name, _sql in saved:
            cursor.execute(f"DROP INDEX {_q(name)}")
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, sql in saved:
            cursor.execute(sql)


def _db_prep(field: Any, connection: Any, value: Any) -> Any:
    return field.get_db_prep_save(value, connection)


def _sqlite_adapter(field: Any, connection: Any) -> Any:
    """A fast converter of one field's Python values into what Django itself would store, or None
    when the value goes to the driver unchanged."""
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        last: list[Any] = [None, None]

        def adapt_datetime(value: datetime | None) -> str | None:
            if value is None:
                return None
            if value is last[0]:  # the same default timestamp on every row of a batch
                return last[1]
            out = str(timezone.make_naive(value, UTC) if timezone.is_aware(value) else value)
            last[0], last[1] = value, out
            return out

        if settings.USE_TZ:
            return adapt_datetime
        return lambda value: connection.ops.adapt_datetimefield_value(value)
    if kind == "DateField":
        return lambda value: None if value is None else value.isoformat()
    if kind == "DecimalField":
        return lambda value: connection.ops.adapt_decimalfield_value(value, field.max_digits, field.decimal_places)
    if kind in ("JSONField", "UUIDField", "TimeField", "DurationField", "BinaryField"):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


class RowWriter:
    """Writes plain value tuples into one table: `prepare()` turns Python values into what Django
    itself would store (no database access, so it may run in another process), `write()` sends
    them: executemany on SQLite, COPY on PostgreSQL. No model instances, no signals, no RETURNING.

    `fields` are attribute names (owner_id, not owner). Values are Python values: str, int,
    Decimal, date, aware datetime, JSON-able values for JSON fields, None.
    """

    def __init__(self, model: type[Model], fields: Sequence[str], using: str = DEFAULT_DB_ALIAS) -> None:
        connection = connections[using]
        self.using, self.vendor = using, connection.vendor
        opts = model._meta
        by_attname = {f.attname: f for f in opts.concrete_fields}
        cols = [by_attname[name] for name in fields]
        self.width = len(cols)
        self.sql_columns = ", ".join(_q(f.column) for f in cols)
        self.sql_table = _q(opts.db_table)
        if self.vendor == "postgresql":
            # psycopg adapts dates, aware datetimes and Decimals itself; JSON values need a wrapper.
            from psycopg.types.json import Jsonb

            self.adapters = [
                (i, lambda v: None if v is None else Jsonb(v))
                for i, f in enumerate(cols) if f.get_internal_type() == "JSONField"
            ]
        elif self.vendor == "sqlite":
            self.adapters = [
                (i, a) for i, a in enumerate(_sqlite_adapter(f, connection) for f in cols) if a is not None
            ]
        else:
            self.adapters = [(i, functools.partial(_db_prep, f, connection)) for i, f in enumerate(cols)]

    def prepare(self, rows: Iterable[Sequence[Any]]) -> list[Sequence[Any]]:
        if not self.adapters:
            return rows if isinstance(rows, list) else list(rows)
        out = []
        adapters = self.adapters
        for row in rows:
            row = list(row)
            for i, adapt in adapters:
                row[i] = adapt(row[i])
            out.append(row)
        return out

    def write(self, prepared: Sequence[Sequence[Any]]) -> int:
        """Write rows returned by prepare(); returns how many."""
        if not prepared:
            return 0
        connection = connections[self.using]
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {self.sql_table} ({self.sql_columns}) FROM STDIN") as copy:
                    for row in prepared:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * self.width)
                cursor.executemany(
                    f"INSERT INTO {self.sql_table} ({self.sql_columns}) VALUES ({placeholders})",
                    prepared,
                )
        return len(prepared)


def insert_rows(
    model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[Any]], using: str = DEFAULT_DB_ALIAS
) -> int:
    """Insert plain value tuples into `model`'s table (see RowWriter); returns the number of rows."""
    writer = RowWriter(model, fields, using)
    return writer.write(writer.prepare(rows))


# --- Text search indexes -------------------------------------------------------------------------

@dataclass(frozen=True)
class TextIndex:
    """Substring search over some text columns of one table (see the module docstring).

    `trigram` columns are searched by substrings of 3+ characters; `bigram` columns (CJK text such
    as names) are also searched by 2-character substrings. A column may be in both.
    """

    name: str
    table: str
    pk: str = "id"
    trigram: tuple[str, ...] = ()
    bigram: tuple[str, ...] = ()

    @property
    def fts_table(self) -> str:
        return f"{self.name}_fts"

    def gram_table(self, column: str) -> str:
        return f"{self.name}_{column}_gram"


# The numbers 1..N for splitting values into bigrams inside SQLite triggers (which may not use
# recursive common table expressions). N is the longest value indexed.
_SQLITE_SEQ = "kehu_seq"
_SQLITE_SEQ_MAX = 1000


def _sqlite_triggers(index: TextIndex) -> list[tuple[str, str]]:
    """(name, CREATE TRIGGER statement) of every trigger keeping the index in sync."""
    t, pk = _q(index.table), _q(index.pk)
    out: list[tuple[str, str]] = []
    if index.trigram:
        fts = _q(index.fts_table)
        cols = ", ".join(_q(c) for c in index.trigram)
        new = ", ".join(f"new.{_q(c)}" for c in index.trigram)
        old = ", ".join(f"old.{_q(c)}" for c in index.trigram)
        changed = " OR ".join(f"old.{_q(c)} IS NOT new.{_q(c)}" for c in index.trigram)
        ins = f"INSERT INTO {fts} (rowid, {cols}) VALUES (new.{pk}, {new});"
        dele = f"INSERT INTO {fts} ({fts}, rowid, {cols}) VALUES ('delete', old.{pk}, {old});"
        base = f"{index.name}_fts"
        out += [
            (f"{base}_ai", f"CREATE TRIGGER {_q(base + '_ai')} AFTER INSERT ON {t} BEGIN {ins} END"),
            (f"{base}_ad", f"CREATE TRIGGER {_q(base + '_ad')} AFTER DELETE ON {t} BEGIN {dele} END"),
            (f"{base}_au",
             f"CREATE TRIGGER {_q(base + '_au')} AFTER UPDATE ON {t} WHEN {changed} BEGIN {dele} {ins} END"),
        ]
    for column in index.bigram:
        gram, c = _q(index.gram_table(column)), _q(column)
        ins = (f"INSERT OR IGNORE INTO {gram} (gram, rid) SELECT substr(lower(new.{c}), n, 2), new.{pk} "
               f"FROM {_SQLITE_SEQ} WHERE n < length(new.{c});")
        dele = f"DELETE FROM {gram} WHERE rid = old.{pk};"
        base = f"{index.name}_{column}_gram"
        out += [
            (f"{base}_ai", f"CREATE TRIGGER {_q(base + '_ai')} AFTER INSERT ON {t} BEGIN {ins} END"),
            (f"{base}_ad", f"CREATE TRIGGER {_q(base + '_ad')} AFTER DELETE ON {t} BEGIN {dele} END"),
            (f"{base}_au", f"CREATE TRIGGER {_q(base + '_au')} AFTER UPDATE OF {c} ON {t} "
                           f"WHEN old.{c} IS NOT new.{c} BEGIN {dele} {ins} END"),
        ]
    return out


_PG_BIGRAMS = """
CREATE OR REPLACE FUNCTION kehu_bigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(lower(value), i, 2)), '{}')
  FROM generate_series(1, char_length(value) - 1) AS i
$$
"""


def text_index_create(schema_editor: Any, index: TextIndex) -> None:
    """Create the index structures for `index` and fill them from the table (for migrations)."""
    connection = schema_editor.connection
    t = _q(index.table)
    if connection.vendor == "sqlite":
        if index.trigram:
            cols = ", ".join(_q(c) for c in index.trigram)
            schema_editor.execute(
                f"CREATE VIRTUAL TABLE {_q(index.fts_table)} USING fts5({cols}, content={t}, "
                f"content_rowid={_q(index.pk)}, tokenize='trigram', detail='none', columnsize=0)"
            )
        if index.bigram:
            schema_editor.execute(f"CREATE TABLE IF NOT EXISTS {_SQLITE_SEQ} (n INTEGER PRIMARY KEY)")
            schema_editor.execute(
                f"INSERT OR IGNORE INTO {_SQLITE_SEQ} (n) "
                f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {_SQLITE_SEQ_MAX}) "
                "SELECT n FROM s"
            )
        for column in index.bigram:
            schema_editor.execute(
                f"CREATE TABLE {_q(index.gram_table(column))} (gram TEXT NOT NULL, rid INTEGER NOT NULL, "
                "PRIMARY KEY (gram, rid)) WITHOUT ROWID"
            )
        text_index_rebuild(index, using=connection.alias)
        for _name, sql in _sqlite_triggers(index):
            schema_editor.execute(sql)
    elif connection.vendor == "postgresql":
        if index.bigram:
            schema_editor.execute(_PG_BIGRAMS)
        for column in index.bigram:
            name = _q(f"{index.name}_{column}_bigram")
            schema_editor.execute(f"CREATE INDEX {name} ON {t} USING gin (kehu_bigrams({_q(column)}))")
        for column in index.trigram:
            if column in index.bigram:
                continue  # served by the bigram index (with a recheck)
            schema_editor.execute(
                f"CREATE INDEX {_q(index.name + '_' + column + '_trgm')} ON {t} USING gin ({_q(column)} gin_trgm_ops)"
            )


def text_index_drop(schema_editor: Any, index: TextIndex) -> None:
    """Remove what text_index_create made (for the reverse migration)."""
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        for name, _sql in _sqlite_triggers(index):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {_q(name)}")
        if index.trigram:
            schema_editor.execute(f"DROP TABLE IF EXISTS {_q(index.fts_table)}")
        for column in index.bigram:
            schema_editor.execute(f"DROP TABLE IF EXISTS {_q(index.gram_table(column))}")
    elif connection.vendor == "postgresql":
        for column in index.bigram:
            schema_editor.execute(f"DROP INDEX IF EXISTS {_q(index.name + '_' + column + '_bigram')}")
        for column in index.trigram:
            schema_editor.execute(f"DROP INDEX IF EXISTS {_q(index.name + '_' + column + '_trgm')}")


def text_index_rebuild(index: TextIndex, using: str = DEFAULT_DB_ALIAS) -> None:
    """Refill the index from the table (SQLite; PostgreSQL indexes maintain themselves)."""
    if not is_sqlite(using):
        return
    with connections[using].cursor() as cursor:
        if index.trigram:
            fts = _q(index.fts_table)
            cursor.execute(f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')")
        for column in index.bigram:
            cursor.execute(f"DELETE FROM {_q(index.gram_table(column))}")
        _sqlite_fill(cursor, index, None)


def _sqlite_fill(cursor: Any, index: TextIndex, id_range: tuple[int, int] | None) -> None:
    """Index the rows in `id_range` (all rows when None) with set-based statements."""
    t, pk = _q(index.table), _q(index.pk)
    where, params = (f"WHERE {pk} BETWEEN %s AND %s", list(id_range)) if id_range else ("", [])
    if index.trigram and id_range:
        fts = _q(index.fts_table)
        cols = ", ".join(_q(c) for c in index.trigram)
        cursor.execute(f"INSERT INTO {fts} (rowid, {cols}) SELECT {pk}, {cols} FROM {t} {where}", params)
    for column in index.bigram:
        c = _q(column)
        cursor.execute(
            f"INSERT OR IGNORE INTO {_q(index.gram_table(column))} (gram, rid) "
            f"SELECT substr(lower(x.{c}), s.n, 2), x.{pk} FROM {t} AS x JOIN {_SQLITE_SEQ} AS s "
            f"ON s.n < length(x.{c}) {where.replace(pk, 'x.' + pk)} ORDER BY 1, 2",
            params,
        )


@contextlib.contextmanager
def text_index_deferred(index: TextIndex, using: str = DEFAULT_DB_ALIAS) -> Iterator[list[tuple[int, int]]]:
    """For bulk loads inside a transaction: row triggers are off while the body runs, then the id
    ranges the body appended to the yielded list are indexed in a few set-based statements (much
    faster than a trigger per row). Rows changed in other ways meanwhile would be missed: use it
    only around inserts of new rows."""
    ranges: list[tuple[int, int]] = []
    if not is_sqlite(using):
        yield ranges
        return
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("text_index_deferred() must run inside a transaction")
    triggers = _sqlite_triggers(index)
    with connection.cursor() as cursor:
        for name, _sql in triggers:
            cursor.execute(f"DROP TRIGGER IF EXISTS {_q(name)}")
    yield ranges
    with connection.cursor() as cursor:
        for first, last in ranges:
            _sqlite_fill(cursor, index, (first, last))
        for _name, sql in triggers:
            cursor.execute(sql)


def text_index_problems(index: TextIndex, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """What is out of sync between the table and its text index (empty when consistent). SQLite
    only: PostgreSQL's indexes cannot drift from their table."""
    if not is_sqlite(using):
        return []
    problems: list[str] = []
    t, pk = _q(index.table), _q(index.pk)
    with connections[using].cursor() as cursor:
        if index.trigram:
            fts = _q(index.fts_table)
            try:
                # rank 1: compare the index with the content table, not only with itself
                cursor.execute(f"INSERT INTO {fts} ({fts}, rank) VALUES ('integrity-check', 1)")
            except Exception as exc:  # noqa: BLE001 (SQLite reports corruption as a generic error)
                problems.append(f"{index.fts_table}: {exc}")
        for column in index.bigram:
            gram, c = _q(index.gram_table(column)), _q(column)
            expected = (f"SELECT substr(lower(x.{c}), s.n, 2), x.{pk} FROM {t} AS x "
                        f"JOIN {_SQLITE_SEQ} AS s ON s.n < length(x.{c})")
            cursor.execute(f"SELECT count(*) FROM ({expected} EXCEPT SELECT gram, rid FROM {gram})")
            missing = cursor.fetchone()[0]
            cursor.execute(f"SELECT count(*) FROM (SELECT gram, rid FROM {gram} EXCEPT {expected})")
            stale = cursor.fetchone()[0]
            if missing or stale:
                problems.append(f"{index.gram_table(column)}: {missing} missing, {stale} stale")
    return problems


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _ascii_lower(text: str) -> str:
    # SQLite's lower() folds ASCII letters only; the bigram table holds what it produced.
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


def text_contains(index: TextIndex, column: str, text: str, using: str = DEFAULT_DB_ALIAS) -> Q | None:
    """Rows whose `column` contains `text` (case-insensitive), answered by the index; None when
    the index cannot answer (a single character, or a column the index does not cover)."""
    n = len(text)
    if n < 2 or (n == 2 and column not in index.bigram) or (column not in index.trigram and column not in index.bigram):
        return None
    table = _q(index.table)
    if is_postgresql(using):
        col = f"{table}.{_q(column)}"
        if column in index.bigram:
            low = text.lower()
            grams = sorted({low[i:i + 2] for i in range(n - 1)})
            cond = RawSQL(f"kehu_bigrams({col}) @> %s::text[]", [grams], output_field=BooleanField())
            if n == 2:
                return Q(cond)
            like = RawSQL(f"{col} ILIKE %s", [f"%{_escape_like(text)}%"], output_field=BooleanField())
            return Q(cond) & Q(like)
        return Q(RawSQL(f"{col} ILIKE %s", [f"%{_escape_like(text)}%"], output_field=BooleanField()))
    if is_sqlite(using):
        if n == 2 or column not in index.trigram:
            if n != 2:
                return None
            sql = f"SELECT rid FROM {_q(index.gram_table(column))} WHERE gram = %s"
            return Q(**{f"{index.pk}__in": RawSQL(sql, [_ascii_lower(text)])})
        # LIKE on an FTS5 trigram column is answered by the index (with detail=none, MATCH could not
        # search one column for a phrase). FTS5 cannot pass an ESCAPE clause to the index, so a
        # query containing % or _ is matched loosely there and checked exactly on the row.
        fts = _q(index.fts_table)
        sql = f"SELECT rowid FROM {fts} WHERE {_q(column)} LIKE %s"
        cond = Q(**{f"{index.pk}__in": RawSQL(sql, [f"%{text}%"])})
        if "%" in text or "_" in text:
            cond &= Q(**{f"{column}__icontains": text})
        return cond
    return Q(**{f"{column}__icontains": text})


# --- Prefix search on b-tree indexes -------------------------------------------------------------

def sortable(expression: str | Expression, using: str = DEFAULT_DB_ALIAS) -> Expression:
    """`expression` compared in byte order: what the prefix indexes are built on (COLLATE "C" on
    PostgreSQL; SQLite compares in byte order already)."""
    expr = F(expression) if isinstance(expression, str) else expression
    return Collate(expr, "C") if is_postgresql(using) else expr


def _successor(text: str) -> str | None:
    """The smallest string greater than every string starting with `text` (None if unbounded)."""
    chars = list(text)
    while chars:
        if ord(chars[-1]) < 0x10FFFF:
            chars[-1] = chr(ord(chars[-1]) + 1)
            return "".join(chars)
        chars.pop()
    return None


def prefix_q(expression: str | Expression, text: str, using: str = DEFAULT_DB_ALIAS) -> Q:
    """Rows where `expression` starts with `text`, as an index range (case-sensitive: pass keys
    and lower-cased expressions)."""
    key = sortable(expression, using)
    q = Q(GreaterThanOrEqual(key, text))
    upper = _successor(text)
    if upper is not None:
        q &= Q(LessThan(key, upper))
    return q


# --- Migrations: plain b-tree indexes in byte order ------------------------------------------------

def byte_order_index_create(schema_editor: Any, name: str, table: str, expressions: Sequence[str]) -> None:
    """A b-tree index for prefix_q(): `expressions` are SQL (column names are quoted by the caller
    where needed); on PostgreSQL each gets COLLATE "C"."""
    if schema_editor.connection.vendor == "postgresql":
        parts = ", ".join(f"({e}) COLLATE \"C\"" for e in expressions)
    else:
        parts = ", ".join(f"({e})" for e in expressions)
    schema_editor.execute(f"CREATE INDEX {_q(name)} ON {_q(table)} ({parts})")


def index_drop(schema_editor: Any, name: str) -> None:
    schema_editor.execute(f"DROP INDEX IF EXISTS {_q(name)}")


def pg_extension_create(schema_editor: Any, extension: str) -> None:
    """CREATE EXTENSION on PostgreSQL (nothing elsewhere). Needs a role allowed to create it; in
    production a DBA may create it beforehand (the statement is then a no-op)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE EXTENSION IF NOT EXISTS {_q(extension)}")


def analyze(tables: Sequence[str], using: str = DEFAULT_DB_ALIAS) -> None:
    """Refresh the planner's statistics after a bulk load."""
    with connections[using].cursor() as cursor:
        if is_postgresql(using):
            for table in tables:
                cursor.execute(f"ANALYZE {_q(table)}")
        elif is_sqlite(using):
            # Sampled statistics: seconds instead of minutes on a million rows, as good for planning.
            cursor.execute("PRAGMA analysis_limit=1000")
            cursor.execute("ANALYZE")
