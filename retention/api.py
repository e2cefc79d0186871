"""The retention app's API: one router, each part adds its operations (retention/api_<part>.py)."""

from ninja import Router

from core.parts import part_modules
from retention.apps import PARTS

router = Router()
for _module in part_modules("retention", "api", PARTS):
    router.add_router("", _module.router)
