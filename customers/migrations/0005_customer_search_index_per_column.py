"""Search index, second version, and an index for the list's "recently changed" order.

- SQLite: one FTS5 trigram table per column instead of one for name, pinyin and phone digits
  together. With detail=none an FTS5 index cannot tell its columns apart, so "phone contains 5678"
  had to check every row whose name, pinyin or phone contained those digits. The bigram table of
  names stays. PostgreSQL's indexes are unchanged (text_index_create only adds what is missing).
- Both: (updated_at, id) for the list sorted by "recently changed" (keyset pages).
"""

from django.db import migrations

from core import db

INDEX = db.TextIndex(
    name="customer_search",
    table="customers_customer",
    trigram=("name", "name_pinyin", "phone_digits"),
    bigram=("name",),
)
LEGACY_TRIGGERS = ["customer_search_fts_ai", "customer_search_fts_ad", "customer_search_fts_au"]
LEGACY_TABLES = ["customer_search_fts"]


def forward(apps, schema_editor):
    db.sqlite_objects_drop(schema_editor, triggers=LEGACY_TRIGGERS, tables=LEGACY_TABLES)
    db.text_index_create(schema_editor, INDEX)
    schema_editor.execute('CREATE INDEX IF NOT EXISTS "customer_updated" ON "customers_customer" ("updated_at", "id")')


def backward(apps, schema_editor):
    db.index_drop(schema_editor, "customer_updated")


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0004_customer_search_index"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
