"""A new card counts as verified when it is created (customers.services.customer_create). Cards
created before that rule and never verified since get their creation time as the last
verification: old ones stay stale, a card created last week no longer is. One UPDATE."""

from django.db import migrations
from django.db.models import F


def forwards(apps, schema_editor):  # noqa: ANN001, ARG001
    Customer = apps.get_model("customers", "Customer")
    Customer.objects.filter(last_verified_at__isnull=True).update(last_verified_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("customers", "0006_document_size_label")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
