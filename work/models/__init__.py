"""The work app's models, one module per part (tasks, calendar, notifications, plans)."""
from work.models.notifications import EmailStatus, Notification, NotificationPreference, OutgoingEmail  # noqa: F401
