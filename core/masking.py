"""Masking of sensitive values for roles that may not see them (e.g. 138****5678)."""

from __future__ import annotations

MASK = "*"


def mask_phone(value: str) -> str:
    """Keep the first 3 and last 4 digits: 13812345678 → 138****5678."""
    if not value:
        return value
    digits = [c for c in value if c.isdigit()]
    if len(digits) <= 7:
        return MASK * 4 + "".join(digits[-2:])
    return "".join(digits[:3]) + MASK * 4 + "".join(digits[-4:])


def mask_id_number(value: str) -> str:
    """Keep the first 4 and last 4 characters: 110101199003071234 → 1101**********1234."""
    if not value:
        return value
    if len(value) <= 8:
        return MASK * len(value)
    return value[:4] + MASK * (len(value) - 8) + value[-4:]


def mask_amount(value: object) -> str | None:
    return None if value is None else MASK * 6
