from django.db import migrations


class Migration(migrations.Migration):
    """The app's first migration; each part of the app adds its own tables after it."""

    initial = True
    dependencies: list = []
    operations: list = []
