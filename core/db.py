# ruff: noqa: S608, S611
# (This module builds SQL from identifiers quoted by _q() and declared in code, never from input;
# every value is a bound parameter.)
"""Vendor-specific database features behind one portable interface.

This is the only module that asks which database it talks to. Everything above it (selectors, the
demo loader, migrations through the helpers below) stays portable:

- Bulk writes: `reserve_ids()` hands out primary keys up front and `insert_rows()` writes plain
  tuples with `executemany` on SQLite and `COPY` on PostgreSQL (no model instances, no RETURNING).
- Bulk loads: `bulk_load_settings()`, `indexes_deferred()` (build indexes after the rows) and
  `analyze()` (fresh planner statistics).
- Text search: a `TextIndex` declares which columns of a table are searched by substring. On SQLite
  each column gets an FTS5 table with the trigram tokenizer (substrings of 3+ characters), and CJK
  columns a bigram table (2-character substrings: the trigram tokenizer cannot match those, and
  张伟 is a whole name), all kept in sync by triggers (`text_index_deferred()` fills them per id
  range during bulk loads). On PostgreSQL it becomes GIN indexes: pg_trgm for
  3+ characters of Latin text and digits, and a GIN index over each value's character bigrams for
  CJK text (pg_trgm only sees CJK characters under a UTF-8 ctype, and never 2-character queries).
  `text_contains()` is the condition, `text_matches()` reads a few scoped matches without
  handing every hit to the query, `text_ids()` counts hits for a list search.
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
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.db.models import BooleanField, Expression, F, Field, Model, Q, QuerySet
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


def _column(field: Field[Any, Any]) -> str:
    """The quoted column of a concrete field (a many-to-many field has none)."""
    if field.column is None:
        raise ValueError(f"{field} has no column")
    return _q(field.column)


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
        cursor.execute(f"SELECT coalesce(max({_column(model._meta.pk)}), 0) FROM {_q(table)}")
        highest = cursor.fetchone()[0]
        if is_sqlite(using):
            # AUTOINCREMENT never reuses an id, not even one whose row was deleted.
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            highest = max(highest, row[0] if row else 0)
    return list(range(highest + 1, highest + 1 + count))


@contextlib.contextmanager
def bulk_load_settings(
    using: str = DEFAULT_DB_ALIAS, cache_mb: int = 1024, *, journal: bool = False
) -> Iterator[None]:
    """Connection settings for a large load, restored afterwards. SQLite: a page cache large enough
    to hold the growing indexes (the default 2 MB makes every index insert a disk round trip) and
    temporary sorts in memory; with `journal` also a rollback journal instead of WAL for the load —
    only for a load that runs alone (the demo loader): the switch needs the only connection to the
    file, and while it holds, other connections' readers wait for writers again. Refused (another
    connection is reading), the file keeps WAL. PostgreSQL: no wait for the WAL flush on commit."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            before = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA cache_size=-{int(cache_mb) * 1024}")
            # CREATE INDEX sorts with a helper thread (the index builds after a load are its
            # largest part).
            cursor.execute("PRAGMA threads")
            threads = cursor.fetchone()[0]
            cursor.execute("PRAGMA threads=2")
            outside = not connection.in_atomic_block  # SQLite refuses these changes inside a transaction
            restore_journal = None
            if outside:
                cursor.execute("PRAGMA temp_store=MEMORY")
            if outside and journal:
                cursor.execute("PRAGMA journal_mode")
                if cursor.fetchone()[0].lower() == "wal":
                    # In WAL mode every new page is written twice (the WAL, then the checkpoint);
                    # a rollback journal holds only pages that existed before, so a load into new
                    # pages writes them once.
                    restore_journal = _sqlite_journal_mode(cursor, "DELETE") and "WAL"
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size={int(before)}")
                cursor.execute(f"PRAGMA threads={int(threads)}")
                if outside:
                    cursor.execute("PRAGMA temp_store=DEFAULT")
                if restore_journal and not connection.in_atomic_block:
                    _sqlite_journal_mode(cursor, restore_journal)
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


def _sqlite_journal_mode(cursor: Any, mode: str) -> bool:
    """Switch the journal mode; False (and the mode unchanged) when SQLite refuses: leaving WAL
    needs the only connection to the file, and a reader elsewhere makes the switch fail with
    "database is locked" (after busy_timeout) — a load then runs in WAL, slower but correct."""
    try:
        cursor.execute(f"PRAGMA journal_mode={mode}")
    except OperationalError:
        return False
    return cursor.fetchone()[0].lower() == mode.lower()


@contextlib.contextmanager
def indexes_deferred(models: Sequence[type[Model]], using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Drop the secondary indexes of `models`' tables for the body, then build them again.

    For loads that at least double a table: building an index from sorted data costs a fraction of
    keeping it up to date row by row (measured on SQLite: inserting 100,000 customers takes 3.7 s
    of CPU with their 12 indexes, 1.3 s without them plus 0.9 s to build them afterwards; the gap
    widens with the table). Indexes that back a constraint (primary key, unique) stay. Runs inside
    the caller's transaction; on PostgreSQL the tables are locked until it commits, and their
    foreign keys are dropped too and added again afterwards (which checks every row at once).
    """
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("indexes_deferred() must run inside a transaction")
    saved: list[tuple[str, str]] = []
    foreign_keys: list[tuple[str, str, str]] = []
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
            if connection.vendor == "postgresql":
                # A foreign key checks every inserted row with a query of its own (at commit:
                # Django's are deferred), tens of millions for a large load; checked once for the
                # whole table when the constraint is added again, it costs one join.
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'f'",
                    [_q(table)],
                )
                foreign_keys += [(table, name, definition) for name, definition in cursor.fetchall()]
        for name, _sql in saved:
            cursor.execute(f"DROP INDEX {_q(name)}")
        if foreign_keys:
            # PostgreSQL alters no table (nor the table a key refers to) with checks pending from
            # earlier in the transaction: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for table, name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {_q(table)} DROP CONSTRAINT {_q(name)}")
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Django's foreign keys are checked at commit; PostgreSQL builds no index on a table
            # with such checks pending, so run them now (they would run at commit anyway).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute("SET LOCAL work_mem = '128MB'")
        for _name, sql in saved:
            cursor.execute(sql)
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


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
        self.sql_columns = ", ".join(_column(f) for f in cols)
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
        out: list[Sequence[Any]] = []
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


@dataclass(frozen=True)
class Same:
    """A column with the same value on every row (for insert_columns)."""

    value: Any


def _sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    # Quotes doubled for SQL, % doubled for the driver's %s placeholders.
    return "'" + str(value).replace("'", "''").replace("%", "%%") + "'"


# SQLite: rows per INSERT statement (one statement per row costs about as much as the row itself).
_SQLITE_ROWS_PER_STATEMENT = 50


def insert_columns(model: type[Model], columns: dict[str, Any], using: str = DEFAULT_DB_ALIAS) -> int:
    """Insert rows given column by column: `columns` maps attribute names to equally long lists of
    values ready for the database, or to Same(value). Ready means: str, int, float (a DecimalField
    value as a float of its exact decimal, e.g. cents / 100), None, dates as ISO text and
    datetimes as datetime_texts(). Returns the number of rows.

    The fastest path for generated data (no per-row Python work at all): on SQLite multi-row
    INSERT statements whose constant columns are literals, on PostgreSQL COPY."""
    lists = {name: v for name, v in columns.items() if not isinstance(v, Same)}
    lengths = {len(v) for v in lists.values()}
    if len(lengths) != 1:
        raise ValueError(f"insert_columns: columns of different lengths {sorted(lengths)}")
    n = lengths.pop()
    if n == 0:
        return 0
    opts = model._meta
    by_attname = {f.attname: f for f in opts.concrete_fields}
    names = list(columns)
    sql_columns = ", ".join(_column(by_attname[name]) for name in names)
    table = _q(opts.db_table)
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            import itertools

            values = [itertools.repeat(v.value, n) if isinstance(v, Same) else v for v in columns.values()]
            with cursor.cursor.copy(f"COPY {table} ({sql_columns}) FROM STDIN") as copy:
                write = copy.write_row
                for row in zip(*values, strict=False):
                    write(row)
            return n
        width = len(lists)
        one = "(" + ", ".join(_sql_literal(v.value) if isinstance(v, Same) else "%s" for v in columns.values()) + ")"
        # Interleave the columns into one flat parameter list (slice assignment, in C).
        flat: list[Any] = [None] * (n * width)
        for i, values in enumerate(lists.values()):
            flat[i::width] = values
        per = _SQLITE_ROWS_PER_STATEMENT
        full = n // per
        if full:
            sql = f"INSERT INTO {table} ({sql_columns}) VALUES " + ", ".join([one] * per)
            step = per * width
            cursor.executemany(sql, [flat[i:i + step] for i in range(0, full * step, step)])
        rest = n - full * per
        if rest:
            sql = f"INSERT INTO {table} ({sql_columns}) VALUES " + ", ".join([one] * rest)
            cursor.execute(sql, flat[full * per * width:])
    return n


def datetime_texts(utc_minutes: Any, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Whole UTC minutes since 1970-01-01 (a NumPy integer array) as values of a DateTimeField for
    insert_columns(): the text Django itself stores on SQLite (naive UTC), with an explicit UTC
    offset on PostgreSQL."""
    import numpy as np

    minutes = np.asarray(utc_minutes, dtype=np.int64)
    if not len(minutes):
        return []
    days, of_day = np.divmod(minutes, 1440)
    first = int(days.min())
    epoch = datetime(1970, 1, 1).toordinal()
    suffix = "+00" if is_postgresql(using) else ""
    day_texts = np.array(
        [datetime.fromordinal(epoch + d).strftime("%Y-%m-%d ") for d in range(first, int(days.max()) + 1)], dtype=object
    )
    return (day_texts[days - first] + _minute_texts(suffix)[of_day]).tolist()


@functools.cache
def _minute_texts(suffix: str) -> Any:
    import numpy as np

    return np.array([f"{m // 60:02d}:{m % 60:02d}:00{suffix}" for m in range(1440)], dtype=object)


def date_texts(ordinals: Any) -> list[str]:
    """Ordinal days (date.toordinal(), a NumPy integer array) as values of a DateField for insert_columns()."""
    import numpy as np

    days = np.asarray(ordinals, dtype=np.int64)
    if not len(days):
        return []
    first = int(days.min())
    texts = np.array([datetime.fromordinal(d).strftime("%Y-%m-%d") for d in range(first, int(days.max()) + 1)],
                     dtype=object)
    return texts[days - first].tolist()


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

    def fts_table(self, column: str) -> str:
        # One FTS5 table per column: with detail=none an index cannot tell columns apart, so a
        # shared one would answer "phone contains 5678" from names, pinyin and phones alike.
        return f"{self.name}_{column}_fts"

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
    for column in index.trigram:
        fts, c = _q(index.fts_table(column)), _q(column)
        ins = f"INSERT INTO {fts} (rowid, {c}) VALUES (new.{pk}, new.{c});"
        dele = f"INSERT INTO {fts} ({fts}, rowid, {c}) VALUES ('delete', old.{pk}, old.{c});"
        base = index.fts_table(column)
        out += [
            (f"{base}_ai", f"CREATE TRIGGER IF NOT EXISTS {_q(base + '_ai')} AFTER INSERT ON {t} BEGIN {ins} END"),
            (f"{base}_ad", f"CREATE TRIGGER IF NOT EXISTS {_q(base + '_ad')} AFTER DELETE ON {t} BEGIN {dele} END"),
            (f"{base}_au", f"CREATE TRIGGER IF NOT EXISTS {_q(base + '_au')} AFTER UPDATE OF {c} ON {t} "
                           f"WHEN old.{c} IS NOT new.{c} BEGIN {dele} {ins} END"),
        ]
    for column in index.bigram:
        gram, c = _q(index.gram_table(column)), _q(column)
        ins = (f"INSERT OR IGNORE INTO {gram} (gram, rid) SELECT substr(lower(new.{c}), n, 2), new.{pk} "
               f"FROM {_SQLITE_SEQ} WHERE n < length(new.{c});")
        dele = f"DELETE FROM {gram} WHERE rid = old.{pk};"
        base = index.gram_table(column)
        out += [
            (f"{base}_ai", f"CREATE TRIGGER IF NOT EXISTS {_q(base + '_ai')} AFTER INSERT ON {t} BEGIN {ins} END"),
            (f"{base}_ad", f"CREATE TRIGGER IF NOT EXISTS {_q(base + '_ad')} AFTER DELETE ON {t} BEGIN {dele} END"),
            (f"{base}_au", f"CREATE TRIGGER IF NOT EXISTS {_q(base + '_au')} AFTER UPDATE OF {c} ON {t} "
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


def _sqlite_exists(cursor: Any, name: str) -> bool:
    cursor.execute("SELECT 1 FROM sqlite_master WHERE name = %s", [name])
    return cursor.fetchone() is not None


def text_index_create(schema_editor: Any, index: TextIndex) -> None:
    """Create whatever of `index` is missing and fill it from the table (for migrations; running
    it again changes nothing)."""
    connection = schema_editor.connection
    t = _q(index.table)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            new_fts = [c for c in index.trigram if not _sqlite_exists(cursor, index.fts_table(c))]
            new_grams = [c for c in index.bigram if not _sqlite_exists(cursor, index.gram_table(c))]
        for column in new_fts:
            # detail=none, columnsize=0: the smallest index that answers LIKE '%…%' (no ranking).
            schema_editor.execute(
                f"CREATE VIRTUAL TABLE {_q(index.fts_table(column))} USING fts5({_q(column)}, content={t}, "
                f"content_rowid={_q(index.pk)}, tokenize='trigram', detail='none', columnsize=0)"
            )
        if index.bigram:
            schema_editor.execute(f"CREATE TABLE IF NOT EXISTS {_SQLITE_SEQ} (n INTEGER PRIMARY KEY)")
            schema_editor.execute(
                f"INSERT OR IGNORE INTO {_SQLITE_SEQ} (n) "
                f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {_SQLITE_SEQ_MAX}) "
                "SELECT n FROM s"
            )
        for column in new_grams:
            schema_editor.execute(
                f"CREATE TABLE {_q(index.gram_table(column))} (gram TEXT NOT NULL, rid INTEGER NOT NULL, "
                "PRIMARY KEY (gram, rid)) WITHOUT ROWID"
            )
        with connection.cursor() as cursor:
            for column in new_fts:
                fts = _q(index.fts_table(column))
                cursor.execute(f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')")
            for column in new_grams:
                _sqlite_fill_grams(cursor, index, column, None)
        for _name, sql in _sqlite_triggers(index):
            schema_editor.execute(sql)
    elif connection.vendor == "postgresql":
        if index.bigram:
            schema_editor.execute(_PG_BIGRAMS)
        for column in index.bigram:
            name = _q(f"{index.name}_{column}_bigram")
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {t} USING gin (kehu_bigrams({_q(column)}))")
        for column in index.trigram:
            if column in index.bigram:
                continue  # served by the bigram index (with a recheck)
            name = _q(f"{index.name}_{column}_trgm")
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {t} USING gin ({_q(column)} gin_trgm_ops)")


def text_index_drop(schema_editor: Any, index: TextIndex) -> None:
    """Remove what text_index_create made (for the reverse migration)."""
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        for name, _sql in _sqlite_triggers(index):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {_q(name)}")
        for column in index.trigram:
            schema_editor.execute(f"DROP TABLE IF EXISTS {_q(index.fts_table(column))}")
        for column in index.bigram:
            schema_editor.execute(f"DROP TABLE IF EXISTS {_q(index.gram_table(column))}")
    elif connection.vendor == "postgresql":
        for column in index.bigram:
            schema_editor.execute(f"DROP INDEX IF EXISTS {_q(index.name + '_' + column + '_bigram')}")
        for column in index.trigram:
            schema_editor.execute(f"DROP INDEX IF EXISTS {_q(index.name + '_' + column + '_trgm')}")


def sqlite_objects_drop(schema_editor: Any, triggers: Sequence[str] = (), tables: Sequence[str] = ()) -> None:
    """Drop SQLite triggers and tables by name if they exist (for migrations replacing them)."""
    if schema_editor.connection.vendor != "sqlite":
        return
    for name in triggers:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {_q(name)}")
    for name in tables:
        schema_editor.execute(f"DROP TABLE IF EXISTS {_q(name)}")


def text_index_rebuild(index: TextIndex, using: str = DEFAULT_DB_ALIAS) -> None:
    """Refill the index from the table (SQLite; PostgreSQL indexes maintain themselves)."""
    if not is_sqlite(using):
        return
    with connections[using].cursor() as cursor:
        for column in index.trigram:
            fts = _q(index.fts_table(column))
            cursor.execute(f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')")
        for column in index.bigram:
            cursor.execute(f"DELETE FROM {_q(index.gram_table(column))}")
            _sqlite_fill_grams(cursor, index, column, None)


def _sqlite_fill_grams(cursor: Any, index: TextIndex, column: str, id_range: tuple[int, int] | None) -> None:
    t, pk, c = _q(index.table), _q(index.pk), _q(column)
    where, params = (f"WHERE x.{pk} BETWEEN %s AND %s", list(id_range)) if id_range else ("", [])
    cursor.execute(
        f"INSERT OR IGNORE INTO {_q(index.gram_table(column))} (gram, rid) "
        f"SELECT substr(lower(x.{c}), s.n, 2), x.{pk} FROM {t} AS x JOIN {_SQLITE_SEQ} AS s "
        f"ON s.n < length(x.{c}) {where} ORDER BY 1, 2",
        params,
    )


def _sqlite_fill(cursor: Any, index: TextIndex, id_range: tuple[int, int]) -> None:
    """Index the rows in `id_range` with set-based statements."""
    t, pk = _q(index.table), _q(index.pk)
    for column in index.trigram:
        fts, c = _q(index.fts_table(column)), _q(column)
        cursor.execute(
            f"INSERT INTO {fts} (rowid, {c}) SELECT {pk}, {c} FROM {t} WHERE {pk} BETWEEN %s AND %s", list(id_range)
        )
    for column in index.bigram:
        _sqlite_fill_grams(cursor, index, column, id_range)


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
        for first, last in _merged(ranges):
            _sqlite_fill(cursor, index, (first, last))
        for _name, sql in triggers:
            cursor.execute(sql)


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for first, last in sorted(ranges):
        if out and first <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], last))
        else:
            out.append((first, last))
    return out


def text_index_problems(index: TextIndex, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """What is out of sync between the table and its text index (empty when consistent). SQLite
    only: PostgreSQL's indexes cannot drift from their table."""
    if not is_sqlite(using):
        return []
    problems: list[str] = []
    t, pk = _q(index.table), _q(index.pk)
    with connections[using].cursor() as cursor:
        for column in index.trigram:
            fts = _q(index.fts_table(column))
            try:
                # rank 1: compare the index with the content table, not only with itself
                cursor.execute(f"INSERT INTO {fts} ({fts}, rank) VALUES ('integrity-check', 1)")
            except Exception as exc:  # noqa: BLE001 (SQLite reports corruption as a generic error)
                problems.append(f"{index.fts_table(column)}: {exc}")
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


def _answerable(index: TextIndex, column: str, text: str) -> bool:
    n = len(text)
    if n >= 3:
        return column in index.trigram or column in index.bigram
    return n == 2 and column in index.bigram


def _sqlite_ids_sql(index: TextIndex, column: str, text: str) -> tuple[str, list[Any], str]:
    """(SELECT of matching row ids in ascending order, its parameters, the id column)."""
    if len(text) == 2 or column not in index.trigram:
        return (f"SELECT rid FROM {_q(index.gram_table(column))} WHERE gram = %s", [_ascii_lower(text)], "rid")
    # LIKE on an FTS5 trigram column is answered by the index. FTS5 cannot pass an ESCAPE clause
    # to the index: a % or _ in the text matches loosely there and is checked exactly on the row.
    return (f"SELECT rowid FROM {_q(index.fts_table(column))} WHERE {_q(column)} LIKE %s", [f"%{text}%"], "rowid")


def _pg_condition(index: TextIndex, column: str, text: str) -> tuple[str, list[Any]]:
    """The WHERE condition (SQL and parameters) PostgreSQL answers from the GIN indexes."""
    col = f"{_q(index.table)}.{_q(column)}"
    like, like_params = f"{col} ILIKE %s", [f"%{_escape_like(text)}%"]
    if column not in index.bigram:
        return like, like_params
    low = text.lower()
    grams = sorted({low[i:i + 2] for i in range(len(text) - 1)})
    if len(text) == 2:
        return f"kehu_bigrams({col}) @> %s::text[]", [grams]
    return f"kehu_bigrams({col}) @> %s::text[] AND {like}", [grams, *like_params]


def text_contains(index: TextIndex, column: str, text: str, using: str = DEFAULT_DB_ALIAS) -> Q | None:
    """Rows whose `column` contains `text` (case-insensitive), answered by the index; None when
    the index cannot answer (a single character, or a column the index does not cover)."""
    if not _answerable(index, column, text):
        return None
    if is_postgresql(using):
        sql, params = _pg_condition(index, column, text)
        return Q(RawSQL(sql, params, output_field=BooleanField()))
    if is_sqlite(using):
        sql, params, _id = _sqlite_ids_sql(index, column, text)
        cond = Q(**{f"{index.pk}__in": RawSQL(sql, params)})
        if len(text) > 2 and ("%" in text or "_" in text):
            cond &= Q(**{f"{column}__icontains": text})
        return cond
    return Q(**{f"{column}__icontains": text})


def text_ids(
    index: TextIndex, column: str, text: str, *, limit: int, using: str = DEFAULT_DB_ALIAS
) -> list[Any] | None:
    """Ids of up to `limit` rows (any scope, deleted ones included) whose `column` contains `text`,
    straight from the index; None when the index cannot answer exactly."""
    if not _answerable(index, column, text) or (is_sqlite(using) and ("%" in text or "_" in text)):
        return None
    if is_postgresql(using):
        sql, params = _pg_condition(index, column, text)
        sql = f"SELECT {_q(index.pk)} FROM {_q(index.table)} WHERE {sql} LIMIT %s"
    elif is_sqlite(using):
        sql, params, _id = _sqlite_ids_sql(index, column, text)
        sql += " LIMIT %s"
    else:
        return None
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return [row[0] for row in cursor.fetchall()]


# text_matches() reads the index in growing chunks (limit, ×4, …) for this many rounds before it
# lets the database plan the query itself: by then the user sees so little of the table that
# starting from the user's own rows is cheaper.
_ROUNDS = 4
_GROWTH = 4


def text_matches(
    queryset: QuerySet, index: TextIndex, column: str, text: str, *, fields: Sequence[str], limit: int,
    using: str = DEFAULT_DB_ALIAS,
) -> list[tuple[Any, ...]] | None:
    """Up to `limit` rows of `queryset` (as `fields` tuples) whose `column` contains `text`, read
    from the index first: the scope and filters of `queryset` apply to every row, but the index
    stops early instead of handing over every match (on SQLite FTS5 checks each hit against the
    row, so reading 2,000 hits to show 10 would cost tens of milliseconds). None when the index
    cannot answer."""
    cond = text_contains(index, column, text, using)
    if cond is None:
        return None
    if not is_sqlite(using):
        # PostgreSQL's bitmap scan of a GIN index already stops the heap scan at the LIMIT.
        return list(queryset.filter(cond).values_list(*fields)[:limit])
    sql, params, id_column = _sqlite_ids_sql(index, column, text)
    exact = Q(**{f"{column}__icontains": text}) if len(text) > 2 and ("%" in text or "_" in text) else Q()
    out: list[tuple[Any, ...]] = []
    after, chunk = 0, max(1, limit)
    with connections[using].cursor() as cursor:
        for _round in range(_ROUNDS):
            cursor.execute(f"{sql} AND {id_column} > %s ORDER BY {id_column} LIMIT %s", [*params, after, chunk])
            ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                return out
            out += queryset.filter(exact, **{f"{index.pk}__in": ids}).order_by(index.pk).values_list(*fields)
            if len(out) >= limit or len(ids) < chunk:
                return out[:limit]
            after, chunk = ids[-1], chunk * _GROWTH
    rest = queryset.filter(cond, exact, **{f"{index.pk}__gt": after}).order_by(index.pk)
    return (out + list(rest.values_list(*fields)[: limit - len(out)]))[:limit]


# --- Prefix search on b-tree indexes -------------------------------------------------------------

def sortable(expression: str | Expression, using: str = DEFAULT_DB_ALIAS) -> Expression | F:
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
    """Refresh the planner's statistics after a bulk load. On PostgreSQL outside a transaction
    also VACUUM: it marks the freshly written pages all-visible, without which index-only scans
    visit the table for every row (the segments refresh's aggregate over 10.7M orders then reads
    the table instead of its covering index) until autovacuum gets round to it."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if is_postgresql(using):
            command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
            for table in tables:
                cursor.execute(f"{command} {_q(table)}")
        elif is_sqlite(using):
            # Full statistics: sampled ones (PRAGMA analysis_limit) see one team or owner at the start
            # of an index, guess a thousand customers each instead of 200,000, and lead the planner
            # to start from the user's scope instead of the search index.
            for table in tables:
                cursor.execute(f"ANALYZE {_q(table)}")
