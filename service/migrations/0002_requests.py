"""The requests part: service requests, their assignments and status moves."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('commerce', '0002_unit_prices_four_decimals'),
        ('customers', '0011_customer_owner_created'),
        ('service', '0001_initial'),
        ('service', '0002_knowledge'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ServiceRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False, verbose_name='created')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('deleted_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='deleted')),
                ('category', models.CharField(choices=[('installation', 'Installation'), ('repair', 'Repair and maintenance'), ('delivery', 'Delivery'), ('billing', 'Billing and invoices'), ('returns', 'Returns and exchanges'), ('account', 'Account and access'), ('product', 'Product question'), ('other', 'Other')], default='other', max_length=20, verbose_name='category')),
                ('priority', models.CharField(choices=[('low', 'Low'), ('normal', 'Normal'), ('high', 'High'), ('urgent', 'Urgent')], default='normal', max_length=10, verbose_name='priority')),
                ('subject', models.CharField(max_length=200, verbose_name='subject')),
                ('description', models.TextField(blank=True, default='', verbose_name='description')),
                ('status', models.CharField(choices=[('new', 'New'), ('assigned', 'Assigned'), ('in_progress', 'In progress'), ('waiting', 'Waiting for customer'), ('resolved', 'Resolved'), ('closed', 'Closed')], default='new', max_length=12, verbose_name='status')),
                ('received_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='received')),
                ('acknowledge_by', models.DateTimeField(verbose_name='acknowledge by')),
                ('resolve_by', models.DateTimeField(verbose_name='resolve by')),
                ('resolution', models.TextField(blank=True, default='', verbose_name='resolution')),
                ('acknowledged_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='acknowledged')),
                ('resolved_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='resolved')),
                ('closed_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='closed')),
                ('reopened_count', models.PositiveSmallIntegerField(default=0, editable=False, verbose_name='reopened')),
                ('sla_warned_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('sla_escalated_at', models.DateTimeField(blank=True, editable=False, null=True)),
                ('external_id', models.CharField(blank=True, max_length=64, null=True, verbose_name='external ID')),
                ('assignee', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='service_requests', to=settings.AUTH_USER_MODEL, verbose_name='assignee')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='entered by')),
                ('customer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='service_requests', to='customers.customer', verbose_name='customer')),
                ('order', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='service_requests', to='commerce.order', verbose_name='order')),
                ('solved_by_article', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='solved_requests', to='service.article', verbose_name='solved by article')),
            ],
            options={
                'verbose_name': 'service request',
                'verbose_name_plural': 'service requests',
                'ordering': ['-received_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='RequestStatusChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('from_status', models.CharField(blank=True, choices=[('new', 'New'), ('assigned', 'Assigned'), ('in_progress', 'In progress'), ('waiting', 'Waiting for customer'), ('resolved', 'Resolved'), ('closed', 'Closed')], default='', max_length=12, verbose_name='from')),
                ('to_status', models.CharField(choices=[('new', 'New'), ('assigned', 'Assigned'), ('in_progress', 'In progress'), ('waiting', 'Waiting for customer'), ('resolved', 'Resolved'), ('closed', 'Closed')], max_length=12, verbose_name='to')),
                ('note', models.CharField(blank=True, default='', max_length=300, verbose_name='note')),
                ('at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='when')),
                ('by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by')),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='status_changes', to='service.servicerequest')),
            ],
            options={
                'verbose_name': 'request status change',
                'verbose_name_plural': 'request status changes',
                'ordering': ['-at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='RequestAssignment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.CharField(blank=True, default='', max_length=300, verbose_name='reason')),
                ('at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='when')),
                ('by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='by')),
                ('from_user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='from')),
                ('to_user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='to')),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='assignments', to='service.servicerequest')),
            ],
            options={
                'verbose_name': 'request assignment',
                'verbose_name_plural': 'request assignments',
                'ordering': ['-at', '-id'],
            },
        ),
        migrations.AddIndex(
            model_name='servicerequest',
            index=models.Index(condition=models.Q(('status__in', ('new', 'assigned', 'in_progress', 'waiting'))), fields=['assignee', 'resolve_by', 'id'], name='svc_request_open_assignee'),
        ),
        migrations.AddIndex(
            model_name='servicerequest',
            index=models.Index(condition=models.Q(('status__in', ('new', 'assigned', 'in_progress', 'waiting'))), fields=['resolve_by', 'id'], name='svc_request_open_due'),
        ),
        migrations.AddIndex(
            model_name='servicerequest',
            index=models.Index(fields=['customer', '-received_at'], name='svc_request_customer'),
        ),
        migrations.AddIndex(
            model_name='servicerequest',
            index=models.Index(fields=['-received_at', '-id'], name='svc_request_received'),
        ),
        migrations.AddIndex(
            model_name='servicerequest',
            index=models.Index(fields=['status', '-received_at', '-id'], name='svc_request_status'),
        ),
        migrations.AddIndex(
            model_name='servicerequest',
            index=models.Index(condition=models.Q(('external_id__isnull', False)), fields=['external_id'], name='svc_request_external_id'),
        ),
        migrations.AddIndex(
            model_name='requeststatuschange',
            index=models.Index(fields=['request', '-at'], name='svc_request_status_change'),
        ),
        migrations.AddIndex(
            model_name='requeststatuschange',
            index=models.Index(fields=['-at'], name='svc_request_status_at'),
        ),
        migrations.AddIndex(
            model_name='requestassignment',
            index=models.Index(fields=['request', '-at'], name='svc_request_assignment'),
        ),
    ]
