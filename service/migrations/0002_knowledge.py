"""The knowledge part: articles, their published versions, and the search index over them (core.db
TextIndex: FTS5 trigrams and a bigram table on SQLite kept by triggers; a GIN index over the bigrams on
PostgreSQL)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from core.db import TextIndex, text_index_create, text_index_drop

# As service.models.knowledge.ARTICLE_TEXT_INDEX is at this migration (a later change gets its own).
ARTICLE_TEXT_INDEX = TextIndex(name="svc_article_search", table="service_article", trigram=("search_text",),
                               bigram=("search_text",))


def create_index(apps, schema_editor):
    text_index_create(schema_editor, ARTICLE_TEXT_INDEX)


def drop_index(apps, schema_editor):
    text_index_drop(schema_editor, ARTICLE_TEXT_INDEX)


class Migration(migrations.Migration):

    dependencies = [
        ('commerce', '0002_unit_prices_four_decimals'),
        ('service', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Article',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False, verbose_name='created')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('problem', models.CharField(max_length=300, verbose_name='problem')),
                ('solution', models.TextField(help_text='Markdown: **bold**, lists, links.', verbose_name='solution')),
                ('category', models.CharField(choices=[('installation', 'Installation'), ('repair', 'Repair and maintenance'), ('delivery', 'Delivery'), ('billing', 'Billing and invoices'), ('returns', 'Returns and exchanges'), ('account', 'Account and access'), ('product', 'Product question'), ('other', 'Other')], default='other', max_length=20, verbose_name='category')),
                ('language', models.CharField(choices=[('zh-hans', 'Chinese'), ('en', 'English')], default='zh-hans', max_length=10, verbose_name='language')),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('published', 'Published')], default='draft', max_length=10, verbose_name='status')),
                ('published_version', models.PositiveIntegerField(default=0, editable=False, verbose_name='published version')),
                ('published_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='published')),
                ('solved_count', models.PositiveIntegerField(default=0, editable=False, verbose_name='solved')),
                ('search_text', models.CharField(default='', editable=False, max_length=400)),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='written by')),
                ('product', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='commerce.product', verbose_name='product')),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='last edited by')),
            ],
            options={
                'verbose_name': 'knowledge-base article',
                'verbose_name_plural': 'knowledge-base articles',
                'ordering': ['-id'],
            },
        ),
        migrations.CreateModel(
            name='ArticleVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField(verbose_name='version')),
                ('problem', models.CharField(max_length=300, verbose_name='problem')),
                ('solution', models.TextField(verbose_name='solution')),
                ('category', models.CharField(choices=[('installation', 'Installation'), ('repair', 'Repair and maintenance'), ('delivery', 'Delivery'), ('billing', 'Billing and invoices'), ('returns', 'Returns and exchanges'), ('account', 'Account and access'), ('product', 'Product question'), ('other', 'Other')], max_length=20, verbose_name='category')),
                ('language', models.CharField(choices=[('zh-hans', 'Chinese'), ('en', 'English')], max_length=10, verbose_name='language')),
                ('published_at', models.DateTimeField(verbose_name='published')),
                ('article', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='service.article', verbose_name='article')),
                ('published_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='published by')),
            ],
            options={
                'verbose_name': 'article version',
                'verbose_name_plural': 'article versions',
                'ordering': ['-number'],
            },
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(fields=['status', 'language', 'category', '-solved_count', '-id'], name='svc_article_browse'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(fields=['status', '-solved_count', '-id'], name='svc_article_solved'),
        ),
        migrations.AddConstraint(
            model_name='articleversion',
            constraint=models.UniqueConstraint(fields=('article', 'number'), name='svc_article_version_unique'),
        ),
        migrations.RunPython(create_index, drop_index),
    ]
