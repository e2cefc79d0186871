"""The interactions' follow-up tasks become tasks of the work app (issue 15): every row is copied to
work.Task under the same id — customer, title, due date, assignee, author, done (status "done" with
its time) or open, timestamps, deleted state — linked to its interaction as the task's linked
record; the audit history of each follow-up is re-pointed at its task (same id); then the old table
goes. Reversible: tasks linked to an interaction (or to nothing) that have an assignee go back."""

from django.core.management.color import no_style
from django.db import migrations
from django.db.models import Q

BATCH = 5000
COPIED = ["id", "customer_id", "title", "due_on", "assignee_id", "created_by_id", "done_at", "created_at",
          "updated_at", "deleted_at"]


def _reset_sequence(schema_editor, model):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [model]):
            cursor.execute(sql)


def _keep_timestamps(model):
    # The copies keep their times: "updated" must not become the migration's moment (auto_now is
    # switched off on this migration's own historical model class only).
    model._meta.get_field("updated_at").auto_now = False


def follow_ups_to_tasks(apps, schema_editor):
    FollowUpTask = apps.get_model("interactions", "FollowUpTask")
    Task = apps.get_model("work", "Task")
    ContentType = apps.get_model("contenttypes", "ContentType")
    ObjectChange = apps.get_model("audit", "ObjectChange")
    alias = schema_editor.connection.alias
    interaction_type, _created = ContentType.objects.using(alias).get_or_create(
        app_label="interactions", model="interaction")
    _keep_timestamps(Task)
    last = 0
    while True:
        rows = list(FollowUpTask.objects.using(alias).filter(id__gt=last).order_by("id")
                    .values(*COPIED, "interaction_id")[:BATCH])
        if not rows:
            break
        last = rows[-1]["id"]
        Task.objects.using(alias).bulk_create([
            Task(**{name: row[name] for name in COPIED},
                 status="done" if row["done_at"] is not None else "open",
                 record_type_id=interaction_type.pk if row["interaction_id"] else None,
                 record_id=row["interaction_id"])
            for row in rows
        ])
    _reset_sequence(schema_editor, Task)
    ObjectChange.objects.using(alias).filter(object_type="interactions.followuptask").update(object_type="work.task")


def tasks_to_follow_ups(apps, schema_editor):
    FollowUpTask = apps.get_model("interactions", "FollowUpTask")
    Task = apps.get_model("work", "Task")
    ObjectChange = apps.get_model("audit", "ObjectChange")
    alias = schema_editor.connection.alias
    _keep_timestamps(FollowUpTask)
    tasks = Task.objects.using(alias).filter(assignee__isnull=False).filter(
        Q(record_type__isnull=True) | Q(record_type__app_label="interactions", record_type__model="interaction"))
    moved = []
    for task in tasks.order_by("id").iterator(chunk_size=BATCH):
        moved.append(task.pk)
        FollowUpTask.objects.using(alias).create(
            **{name: getattr(task, name) for name in COPIED}, interaction_id=task.record_id)
    _reset_sequence(schema_editor, FollowUpTask)
    ObjectChange.objects.using(alias).filter(object_type="work.task", object_id__in=moved).update(
        object_type="interactions.followuptask")
    Task.objects.using(alias).filter(pk__in=moved).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("interactions", "0001_initial"),
        ("work", "0002_tasks"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(follow_ups_to_tasks, tasks_to_follow_ups),
        migrations.DeleteModel(
            name="FollowUpTask",
        ),
    ]
