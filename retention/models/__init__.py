"""The retention app's models, one module per part."""
from retention.models.churn import ChurnCohortMonth, ChurnEvent, ChurnMonth, ChurnRefresh, ChurnSegmentBefore  # noqa: F401
from retention.models.winback import (  # noqa: F401,E501
    ChurnRiskSnapshot,
    LossRecord,
    WinbackAttempt,
    WinbackCampaign,
    WinbackDigestRun,
    WinbackScript,
)
