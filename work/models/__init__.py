"""The work app's models, one module per part (tasks, calendar, notifications, plans)."""
from work.models.tasks import Recurrence, Task, TaskPriority, TaskStatus  # noqa: F401
