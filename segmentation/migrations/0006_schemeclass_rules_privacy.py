"""A rule scheme's class carries the privacy of the saved segment its filter came from (issue 12,
item 17). Existing classes whose filter equals a saved segment's that is not shared with everyone
take that segment's privacy; the others stay readable by everyone, as before."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def classes_take_segment_privacy(apps, schema_editor):  # noqa: ANN001, ARG001
    SavedSegment = apps.get_model("segmentation", "SavedSegment")
    SchemeClass = apps.get_model("segmentation", "SchemeClass")
    # Shared ones first, so that a filter also saved as a shared segment stays readable.
    segments = list(SavedSegment.objects.order_by("-shared_with_all", "id"))
    for cls in SchemeClass.objects.filter(scheme__kind="rules", is_catch_all=False).exclude(rules=[]):
        source = next((s for s in segments if s.rules == cls.rules), None)
        if source is not None and not source.shared_with_all:
            cls.rules_private, cls.rules_owner_id, cls.rules_team_id = True, source.owner_id, source.shared_with_team_id
            cls.save(update_fields=["rules_private", "rules_owner", "rules_team"])


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('segmentation', '0005_customersegment_fillfactor'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='schemeclass',
            name='rules_owner',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='filter created by'),
        ),
        migrations.AddField(
            model_name='schemeclass',
            name='rules_private',
            field=models.BooleanField(default=False, verbose_name='filter not shared with everyone'),
        ),
        migrations.AddField(
            model_name='schemeclass',
            name='rules_team',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='accounts.team', verbose_name='filter shared with team'),
        ),
        migrations.RunPython(classes_take_segment_privacy, migrations.RunPython.noop),
    ]
