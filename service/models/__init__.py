"""The service app's models, one module per part."""
from service.models.complaints import (  # noqa: F401
    CompensationApproval,
    CompensationLimit,
    Complaint,
    ComplaintStep,
    FailureFlag,
)
from service.models.knowledge import *  # noqa: F401,F403
from service.models.requests import *  # noqa: F401,F403
from service.models.sla import AgreementLevel, Holiday, ServiceAgreement, SlaPolicy, WorkingCalendar  # noqa: F401
