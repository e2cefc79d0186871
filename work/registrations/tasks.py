"""The tasks part's registrations: the menu entry, the card's panel and the demo's tasks."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from core import registry
    from core.navigation import NavItem, add_item
    from core.periodic import PeriodicJob
    from work import demo_tasks, plan_registry, selectors_tasks, services_tasks

    registry.add("card_panels", selectors_tasks.card_panels)
    registry.add("demo_generators", demo_tasks.generate)
    plan_registry.add_log_source("task", _("Tasks done"), selectors_tasks.task_log_entries)
    # Reminders: raised as notifications; each is enqueued for its time when the task is saved, and a
    # morning run catches any whose enqueue was lost (remind_due_tasks reminds each task once).
    registry.add(services_tasks.REMINDER_HANDLERS, services_tasks.task_reminder_notify)
    registry.add("periodic_jobs", PeriodicJob(name="task_reminders", task="work.notification_tasks.remind_tasks_task",
                                              hour=7, minute=0))
    add_item(NavItem("tasks", _("Tasks"), "work:task_list", order=35,
                     current_url_names=frozenset({"task_list", "task_add", "task_edit", "task_delete"})))
