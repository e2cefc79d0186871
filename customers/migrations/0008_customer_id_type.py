"""The type of a customer's ID (居民身份证, 护照, …), so that resident ID numbers can be checked.

SQLite gets a plain ALTER TABLE ... ADD COLUMN: Django's default for a NOT NULL column there is a
rebuild of the table, which would copy every row and drop the search index's triggers and the
raw-SQL indexes of 0004/0005. PostgreSQL adds the column as Django always does.
"""

from django.db import migrations, models

CHOICES = [
    ("resident_id", "Resident ID card"), ("passport", "Passport"),
    ("hk_macao_permit", "Travel permit for Hong Kong and Macao residents"),
    ("taiwan_permit", "Travel permit for Taiwan residents"), ("foreign_pr", "Foreign permanent resident ID card"),
    ("credit_code", "Unified social credit code"), ("other", "Other ID"),
]


def _field() -> models.CharField:
    field = models.CharField("ID type", max_length=20, choices=CHOICES, blank=True, default="")
    field.set_attributes_from_name("id_type")
    return field


def add_column(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("ALTER TABLE \"customers_customer\" ADD COLUMN \"id_type\" varchar(20) NOT NULL DEFAULT ''")
    else:
        schema_editor.add_field(apps.get_model("customers", "Customer"), _field())


def drop_column(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute('ALTER TABLE "customers_customer" DROP COLUMN "id_type"')
    else:
        schema_editor.remove_field(apps.get_model("customers", "Customer"), _field())


def type_existing(apps, schema_editor):
    """Numbers stored before the ID type existed: a valid resident ID number is one; anything else
    becomes "other" (unknown), so that editing an old card is not blocked by a number nobody checked."""
    from customers.idnumbers import id_number_valid

    Customer = apps.get_model("customers", "Customer")
    with_number = Customer.objects.exclude(id_number="").filter(id_type="")
    resident = [pk for pk, number in with_number.values_list("pk", "id_number").iterator(chunk_size=5000)
                if id_number_valid(number.strip().upper())]
    for start in range(0, len(resident), 5000):
        Customer.objects.filter(pk__in=resident[start:start + 5000]).update(id_type="resident_id")
    with_number.filter(id_type="").update(id_type="other")


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0007_customer_verified_at_creation"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddField(model_name="customer", name="id_type", field=_field())],
            database_operations=[migrations.RunPython(add_column, drop_column)],
        ),
        migrations.RunPython(type_existing, migrations.RunPython.noop, elidable=True),
    ]
