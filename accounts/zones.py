"""Each user's time zone (the business zone, settings.TIME_ZONE, unless they choose another): what
pages show times in and whose whole days an all-day appointment covers in their calendar. Stored
times are UTC instants whatever the zone."""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


@cache
def zone_names() -> tuple[str, ...]:
    """The IANA zone names this machine knows (Asia/Shanghai, Europe/Berlin …), sorted."""
    return tuple(sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))))


def validate_time_zone(value: str) -> None:
    if value and value not in zone_names():
        raise ValidationError(_("Choose a time zone from the list, e.g. Asia/Shanghai."), code="invalid_zone")


def business_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def user_zone(user: Any) -> ZoneInfo:
    """The zone `user` sees times in: their own, else the business zone (also for anonymous users)."""
    name = getattr(user, "time_zone", "") or ""
    return ZoneInfo(name) if name else business_zone()


def zone_choices() -> list[tuple[str, str]]:
    default = _("Business time zone (%(zone)s)") % {"zone": settings.TIME_ZONE}
    return [("", default), *((z, z) for z in zone_names())]
