"""The work app's API: one router, each part adds its operations (work/api_<part>.py)."""

from ninja import Router

router = Router()

from work.api_tasks import router as tasks_router  # noqa: E402

router.add_router("", tasks_router)
