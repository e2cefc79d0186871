"""Mainland resident ID numbers (居民身份证号码, GB 11643-1999): 6 digits of the registering area,
8 of the birth date, 3 of sequence (odd for men), and a check character computed by ISO 7064
MOD 11-2 (0–9 or X). Used by Customer.clean() (forms, API, imports) and by the demo generator."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    """The 18th character of a resident ID number (ISO 7064 MOD 11-2)."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def _birth_date(value: str) -> date | None:
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None
    return born if date(1900, 1, 1) <= born <= timezone.localdate() else None


def resident_id_problem(value: str) -> str:
    """Why `value` is not a valid resident ID number, in the user's language; "" when it is."""
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return _("A resident ID number has 18 characters: 17 digits, then a digit or X (you gave %(count)d "
                 "characters).") % {"count": len(value)}
    if _birth_date(value) is None:
        return _("Characters 7 to 14 of a resident ID number are the date of birth; “%(date)s” is not a "
                 "possible one.") % {"date": value[6:14]}
    if id_check_digit(value[:17]) != value[17]:
        return _("The last character does not match the others (check digit): the number has a typo.")
    return ""


def id_number_valid(value: str) -> bool:
    return not resident_id_problem(value)
