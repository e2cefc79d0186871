"""PostgreSQL: leave half of each page of the segments table free, so that the nightly refresh, which
rewrites every customer's row, can put the new version next to the old one (a HOT update: no new
entry in the table's six indexes when no indexed class changed, which is most customers on most
nights). Measured at 1,000,000 customers: docs/segmentation.md. SQLite has no such setting."""

from django.db import migrations

TABLE = "segmentation_customersegment"


def set_fillfactor(apps, schema_editor):  # noqa: ANN001, ANN201 (migration signature)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET (fillfactor = 50)")


def reset_fillfactor(apps, schema_editor):  # noqa: ANN001, ANN201
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("segmentation", "0004_order_paid_customer_index")]
    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor, elidable=False)]
