"""The retention app's models, one module per part."""
from retention.models.churn import ChurnCohortMonth, ChurnEvent, ChurnMonth, ChurnRefresh, ChurnSegmentBefore  # noqa: F401
