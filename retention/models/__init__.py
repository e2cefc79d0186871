"""The retention app's models, one module per part."""
from retention.models.winback import ChurnRiskSnapshot, LossRecord, WinbackAttempt, WinbackCampaign, WinbackDigestRun, WinbackScript  # noqa: F401,E501
