"""The work app's models, one module per part (tasks, calendar, notifications, plans)."""
