"""Search indexes for the header search and the list's search box (customers.selectors).

Vendor-specific, so written by hand through core.db:
- SQLite: an FTS5 trigram table over name, pinyin and phone digits, a bigram table over names
  (two-character names such as 张伟 are below the trigram tokenizer's reach), both kept in sync by
  triggers; b-tree indexes for name, initials and e-mail prefixes.
- PostgreSQL: the pg_trgm extension (the migration's role must be allowed to create it, or a DBA
  creates it first), GIN indexes (trigrams of pinyin and phone digits, character bigrams of names)
  and b-tree indexes in byte order (COLLATE "C") for prefixes.

The index definition is frozen here on purpose: a later change to customers.search needs a new
migration, not an edit of this one.
"""

from django.db import migrations

from core import db

INDEX = db.TextIndex(
    name="customer_search",
    table="customers_customer",
    trigram=("name", "name_pinyin", "phone_digits"),
    bigram=("name",),
)
# (index name, expressions, PostgreSQL only)
PREFIX_INDEXES = [
    ("customer_name_bytes", ['"name"'], False),
    ("customer_initials_bytes", ['"name_initials"'], False),
    ("customer_email_lower", ['lower("email")'], False),
    # SQLite compares in byte order already: customer_pinyin (name_pinyin, id) serves prefixes there.
    ("customer_pinyin_bytes", ['"name_pinyin"'], True),
]


def forward(apps, schema_editor):
    db.pg_extension_create(schema_editor, "pg_trgm")
    db.text_index_create(schema_editor, INDEX)
    for name, expressions, pg_only in PREFIX_INDEXES:
        if pg_only and schema_editor.connection.vendor != "postgresql":
            continue
        db.byte_order_index_create(schema_editor, name, INDEX.table, expressions)


def backward(apps, schema_editor):
    for name, _expressions, _pg_only in PREFIX_INDEXES:
        db.index_drop(schema_editor, name)
    db.text_index_drop(schema_editor, INDEX)


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0003_customer_merged_into_contact_external_id"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
