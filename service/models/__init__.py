"""The service app's models, one module per part."""
from service.models.complaints import (  # noqa: F401
    CompensationApproval,
    CompensationLimit,
    Complaint,
    ComplaintStep,
    FailureFlag,
)
