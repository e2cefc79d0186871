"""Rows for the built-in schemes and their classes (names shown to users come from
segmentation/builtins.py, so they follow the user's language)."""

from django.db import migrations


def seed(apps, schema_editor):
    from segmentation.builtins import builtin_schemes

    Scheme = apps.get_model("segmentation", "Scheme")
    SchemeClass = apps.get_model("segmentation", "SchemeClass")
    for position, builtin in enumerate(builtin_schemes()):
        scheme, _created = Scheme.objects.get_or_create(
            key=builtin.key,
            defaults={"name": str(builtin.name), "kind": builtin.kind, "built_in": True, "position": position},
        )
        last = len(builtin.classes) - 1
        for index, (key, label) in enumerate(builtin.classes):
            SchemeClass.objects.get_or_create(
                scheme=scheme, key=key,
                defaults={"name": str(label), "position": index,
                          "is_catch_all": builtin.kind == "manual" and index == last,
                          "suggested_action": str(builtin.actions.get(key, ""))},
            )


class Migration(migrations.Migration):
    dependencies = [("segmentation", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
