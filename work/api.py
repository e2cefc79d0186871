"""The work app's API: one router, each part adds its operations (work/api_<part>.py)."""

from ninja import Router

from work.api_notifications import router as notifications_router

router = Router()
router.add_router("", notifications_router)
