"""The work app's models, one module per part (tasks, calendar, notifications, plans)."""
from work.models.calendar import Appointment, AppointmentAttendee, AppointmentKind, CalendarFeed  # noqa: F401
