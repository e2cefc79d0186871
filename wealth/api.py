"""The wealth app's API: one router, each part adds its operations (wealth/api_<part>.py)."""

from ninja import Router

from core.parts import part_modules
from wealth.apps import PARTS

router = Router()
for _module in part_modules("wealth", "api", PARTS):
    router.add_router("", _module.router)
