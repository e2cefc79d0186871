"""The work app's API: one router, each part adds its operations (work/api_<part>.py)."""

from ninja import Router

from work.api_calendar import router as calendar_router
from work.api_notifications import router as notifications_router
from work.api_plans import router as plans_router
from work.api_tasks import router as tasks_router

router = Router()
router.add_router("", tasks_router)
router.add_router("", plans_router)
router.add_router("", notifications_router)
router.add_router("", calendar_router)
