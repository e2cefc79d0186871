"""The work app's API: one router, each part adds its operations (work/api_<part>.py)."""

from ninja import Router

router = Router()
