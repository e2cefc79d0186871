"""The work app's API: one router, each part adds its operations (work/api_<part>.py)."""

from ninja import Router

from work.api_calendar import router as calendar_router

router = Router()
router.add_router("", calendar_router)
