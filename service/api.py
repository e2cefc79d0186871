"""The service app's API: one router, each part adds its operations (service/api_<part>.py)."""

from ninja import Router

from core.parts import part_modules
from service.apps import PARTS

router = Router()
for _module in part_modules("service", "api", PARTS):
    router.add_router("", _module.router)
