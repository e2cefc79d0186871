"""External IDs unique per team (or per owner without a team) instead of company-wide: ADR 0006.

On SQLite the column's inline UNIQUE can only go with a table rebuild, and the rebuilt table loses
the indexes and triggers migrations 0004, 0005 and 0009 made by hand; restore_search_objects puts
them back (the FTS and bigram tables keep their rows: the rebuild keeps every id). PostgreSQL drops
the constraint in place. Frozen here on purpose, like 0004, 0005 and 0009.
"""

from django.conf import settings
from django.db import migrations, models

from core import db

INDEX = db.TextIndex(
    name="customer_search",
    table="customers_customer",
    trigram=("name", "name_pinyin", "phone_digits", "email"),
    bigram=("name",),
)
SQLITE_INDEXES = {
    "customer_name_bytes": '"name"',
    "customer_initials_bytes": '"name_initials"',
    "customer_email_lower": 'lower("email")',
    "customer_updated": '"updated_at", "id"',
    "customer_wechat_lower": 'lower("wechat_id")',
    "customer_id_number_bytes": '"id_number"',
}


def restore_search_objects(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'customers_customer'")
        triggers = [row[0] for row in cursor.fetchall()]
    db.sqlite_objects_drop(schema_editor, triggers=triggers)  # (none after a rebuild; makes this rerunnable)
    db.text_index_create(schema_editor, INDEX)  # the tables exist: only the triggers are made
    for name, expressions in SQLITE_INDEXES.items():
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "customers_customer" ({expressions})')


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('customers', '0009_customer_search_keys_city_email_wechat_id'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Unmigrating rebuilds the table too: the search objects come back after it.
        migrations.RunPython(migrations.RunPython.noop, restore_search_objects, elidable=False),
        migrations.AlterField(
            model_name='customer',
            name='external_id',
            field=models.CharField(blank=True, db_index=True, max_length=64, null=True, verbose_name='external ID'),
        ),
        migrations.AddConstraint(
            model_name='customer',
            constraint=models.UniqueConstraint(condition=models.Q(('team__isnull', False)), fields=('team', 'external_id'), name='customer_external_id_team', violation_error_message='Another customer already has this external ID.'),
        ),
        migrations.AddConstraint(
            model_name='customer',
            constraint=models.UniqueConstraint(condition=models.Q(('team__isnull', True)), fields=('owner', 'external_id'), name='customer_external_id_owner', violation_error_message='Another customer already has this external ID.'),
        ),
        migrations.RunPython(restore_search_objects, migrations.RunPython.noop, elidable=False),
    ]
