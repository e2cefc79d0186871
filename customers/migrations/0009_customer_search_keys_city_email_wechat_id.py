"""Search, third version: what else a user types into the search box, and the city sort in pinyin.

- city_pinyin: the city's pinyin (customers.search.city_key), with an index (city_pinyin,
  name_pinyin, id) for keyset pages of the list sorted by city. Backfilled per distinct city: one
  UPDATE per city (a few hundred), each answered by the (city, name_pinyin, id) index, instead of
  a Python loop over the customers. The column is added with ALTER TABLE … ADD COLUMN … DEFAULT '':
  Django's AddField rebuilds an SQLite table for a NOT NULL column, and the rebuilt table would
  lose the indexes and triggers that migrations 0004 and 0005 made by hand.
- E-mail joins the substring index (FTS5 trigram table on SQLite, GIN trigrams on PostgreSQL;
  text_index_create fills it from the table), so "@163" finds addresses at 163.com.
- Prefix indexes (byte order) for WeChat ids (lower case) and ID numbers, and on PostgreSQL for
  the city (the city filter's seeks).

Frozen here on purpose, like 0004 and 0005: a later change to customers.search needs a new migration.
"""

from django.db import migrations, models

from core import db

INDEX = db.TextIndex(
    name="customer_search",
    table="customers_customer",
    trigram=("name", "name_pinyin", "phone_digits", "email"),
    bigram=("name",),
)
# (index name, expressions, PostgreSQL only)
PREFIX_INDEXES = [
    ("customer_wechat_lower", ['lower("wechat_id")'], False),
    ("customer_id_number_bytes", ['"id_number"'], False),
    # The city filter's seeks (customers.selectors.cities_starting_with) compare in byte order;
    # SQLite's (city, name_pinyin, id) index is in byte order already.
    ("customer_city_bytes", ['"city"'], True),
]


def backfill_city_pinyin(apps, schema_editor):
    from customers.search import city_key

    Customer = apps.get_model("customers", "Customer")
    cities = Customer.objects.exclude(city="").order_by().values_list("city", flat=True).distinct()
    for city in list(cities):
        Customer.objects.filter(city=city).update(city_pinyin=city_key(city))


def add_column(apps, schema_editor):
    schema_editor.execute(
        'ALTER TABLE "customers_customer" ADD COLUMN "city_pinyin" varchar(300) DEFAULT \'\' NOT NULL'
    )


def drop_column(apps, schema_editor):
    schema_editor.execute('ALTER TABLE "customers_customer" DROP COLUMN "city_pinyin"')


def forward(apps, schema_editor):
    db.text_index_create(schema_editor, INDEX)
    for name, expressions, pg_only in PREFIX_INDEXES:
        if pg_only and schema_editor.connection.vendor != "postgresql":
            continue
        db.byte_order_index_create(schema_editor, name, INDEX.table, expressions)


def backward(apps, schema_editor):
    for name, _expressions, _pg_only in PREFIX_INDEXES:
        db.index_drop(schema_editor, name)
    # The e-mail part of the text index (the rest stays, as 0005 made it).
    if schema_editor.connection.vendor == "sqlite":
        fts = INDEX.fts_table("email")
        db.sqlite_objects_drop(schema_editor, triggers=[f"{fts}_ai", f"{fts}_ad", f"{fts}_au"], tables=[fts])
    else:
        db.index_drop(schema_editor, f"{INDEX.name}_email_trgm")


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0008_customer_id_type"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="customer",
                    name="city_pinyin",
                    field=models.CharField(blank=True, db_default="", default="", editable=False, max_length=300),
                ),
            ],
            database_operations=[migrations.RunPython(add_column, drop_column, elidable=False)],
        ),
        migrations.RunPython(backfill_city_pinyin, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["city_pinyin", "name_pinyin", "id"], name="customer_citykey_pinyin"),
        ),
        migrations.RunPython(forward, backward, elidable=False),
    ]
