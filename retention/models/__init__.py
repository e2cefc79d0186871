"""The retention app's models, one module per part."""
from retention.models.winback import (  # noqa: F401,E501
    ChurnRiskSnapshot,
    LossRecord,
    WinbackAttempt,
    WinbackCampaign,
    WinbackDigestRun,
    WinbackScript,
)
