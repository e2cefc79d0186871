"""The service app's models, one module per part."""
from service.models.knowledge import *  # noqa: F401,F403
from service.models.requests import *  # noqa: F401,F403
