"""The interactions' follow-up tasks become work.Task (interactions 0002): every row, same id, every
field, the interaction as linked record, done → status done, deleted kept, history re-pointed; and
back again."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("interactions", "0001_initial"), ("work", "0002_tasks"), ("audit", "0002_access_search")]
AFTER = [("interactions", "0002_follow_ups_become_tasks")]
UTC = ZoneInfo("UTC")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_every_follow_up_becomes_a_task_and_comes_back():
    old = _migrate(BEFORE)
    try:
        Team = old.get_model("accounts", "Team")
        User = old.get_model("accounts", "User")
        Customer = old.get_model("customers", "Customer")
        Interaction = old.get_model("interactions", "Interaction")
        FollowUpTask = old.get_model("interactions", "FollowUpTask")
        ObjectChange = old.get_model("audit", "ObjectChange")
        team = Team.objects.create(name="A")
        alice = User.objects.create(username="alice", team=team)
        bob = User.objects.create(username="bob", team=team)
        customer = Customer.objects.create(name="张伟", kind="person", owner=alice, team=team)
        call = Interaction.objects.create(customer=customer, channel="phone", subject="来电")
        made = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
        changed = datetime(2025, 3, 2, 9, 0, tzinfo=UTC)
        done = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
        FollowUpTask.objects.create(id=7, customer=customer, interaction=call, title="回电", due_on=date(2025, 3, 5),
                                    assignee=bob, created_by=alice, done_at=done)
        FollowUpTask.objects.create(id=8, customer=customer, interaction=None, title="寄资料", due_on=date(2025, 4, 1),
                                    assignee=alice, created_by=None, done_at=None)
        FollowUpTask.objects.create(id=12, customer=customer, interaction=call, title="删掉的", due_on=date(2025, 4, 2),
                                    assignee=alice, created_by=alice, done_at=None, deleted_at=changed)
        FollowUpTask.objects.update(created_at=made, updated_at=changed)  # as they were, not "now"
        ObjectChange.objects.create(object_type="interactions.followuptask", object_id=7, action="update",
                                    source="web", object_repr="回电", changes={})

        new = _migrate(AFTER)
        Task = new.get_model("work", "Task")
        got = {t.pk: t for t in Task.objects.select_related("record_type")}
        assert sorted(got) == [7, 8, 12]
        first = got[7]
        assert (first.customer_id, first.title, first.due_on, first.assignee_id, first.created_by_id) == (
            customer.pk, "回电", date(2025, 3, 5), bob.pk, alice.pk)
        assert (first.status, first.done_at, first.due_at, first.team_id) == ("done", done, None, None)
        assert (first.record_type.app_label, first.record_type.model, first.record_id) == (
            "interactions", "interaction", call.pk)
        assert (first.created_at, first.updated_at) == (made, changed)
        assert (got[8].status, got[8].done_at, got[8].record_type_id, got[8].record_id) == ("open", None, None, None)
        assert got[12].deleted_at == changed and got[12].status == "open"
        history = new.get_model("audit", "ObjectChange").objects.get()
        assert (history.object_type, history.object_id) == ("work.task", 7)
        # New tasks get new ids (the sequence follows the copied ones).
        created = Task.objects.create(customer_id=customer.pk, title="新", due_on=date(2025, 5, 1),
                                      assignee_id=alice.pk)
        assert created.pk > 12
        created.delete()

        back = _migrate(BEFORE)
        again = {f.pk: f for f in back.get_model("interactions", "FollowUpTask").objects.all()}
        assert sorted(again) == [7, 8, 12]
        assert (again[7].interaction_id, again[7].done_at, again[7].assignee_id) == (call.pk, done, bob.pk)
        assert again[12].deleted_at == changed and again[8].interaction_id is None
        assert back.get_model("audit", "ObjectChange").objects.get().object_type == "interactions.followuptask"
        assert not back.get_model("work", "Task").objects.exists()
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
