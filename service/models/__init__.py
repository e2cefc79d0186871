"""The service app's models, one module per part."""
from service.models.sla import AgreementLevel, Holiday, ServiceAgreement, SlaPolicy, WorkingCalendar  # noqa: F401
