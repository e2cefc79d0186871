"""The work app's models, one module per part (tasks, calendar, notifications, plans)."""
from work.models.plans import DailyLog, PlanEntry, Target, WeeklyPlan  # noqa: F401
