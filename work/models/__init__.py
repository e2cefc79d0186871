"""The work app's models, one module per part (tasks, calendar, notifications, plans)."""
from work.models.calendar import Appointment, AppointmentAttendee, AppointmentKind, CalendarFeed  # noqa: F401
from work.models.notifications import EmailStatus, Notification, NotificationPreference, OutgoingEmail  # noqa: F401
from work.models.plans import DailyLog, PlanEntry, Target, WeeklyPlan  # noqa: F401
from work.models.tasks import Recurrence, Task, TaskPriority, TaskStatus  # noqa: F401
