"""Production start-up guards: refuse the public development key, a guessable key and demo users."""

from __future__ import annotations

import math
from collections import Counter

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError

# A secret key must be long, use many different characters, carry at least 128 bits by a Shannon
# estimate (bits per character of the key's own character frequencies × length), and not repeat a
# short pattern. A key from `secrets.token_urlsafe(50)` (67 characters) scores about 370 bits; 50 × "a"
# scores 0, and "abcd" × 13 scores 104. The repeated-pattern check catches what the entropy estimate
# misses: "0123456789" × 5 has ten distinct characters and 166 bits but only ten distinct trigrams.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_DISTINCT = 10
SECRET_KEY_MIN_BITS = 128
SECRET_KEY_MIN_TRIGRAM_SHARE = 0.75  # distinct 3-character substrings / all of them (random keys: ~1)


def secret_key_weakness(key: str) -> str | None:
    """Why this secret key is unfit for production, or None when it looks random enough."""
    if key == settings.DEFAULT_SECRET_KEY or len(key) < SECRET_KEY_MIN_LENGTH:
        return f"is unset or too short: set a random secret of {SECRET_KEY_MIN_LENGTH}+ characters"
    counts = Counter(key)
    bits = -sum(n * math.log2(n / len(key)) for n in counts.values())
    trigrams = [key[i:i + 3] for i in range(len(key) - 2)]
    if (
        len(counts) < SECRET_KEY_MIN_DISTINCT
        or bits < SECRET_KEY_MIN_BITS
        or len(set(trigrams)) < SECRET_KEY_MIN_TRIGRAM_SHARE * len(trigrams)
    ):
        return (
            f"is guessable (few distinct characters or a repeated pattern; about {bits:.0f} bits, "
            f"{SECRET_KEY_MIN_BITS} needed): set a random secret"
        )
    return None


def production_problems() -> list[str]:
    """What makes this installation unsafe to run in production (empty when it is safe)."""
    problems: list[str] = []
    if not settings.PRODUCTION:
        return problems
    weakness = secret_key_weakness(settings.SECRET_KEY)
    if weakness:
        problems.append(
            f"KEHU_SECRET_KEY {weakness}, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    if settings.DEBUG:
        problems.append("KEHU_DEBUG must be off in production.")
    from django.contrib.auth import get_user_model

    try:
        demo = get_user_model().objects.filter(is_demo=True, is_active=True).count()
    except DatabaseError:  # not migrated yet: nothing to refuse
        demo = 0
    if demo:
        problems.append(
            f"{demo} demo user(s) with published passwords exist: remove them with `kehu demo --remove-users`."
        )
    return problems


def refuse_unsafe_production() -> None:
    problems = production_problems()
    if problems:
        raise ImproperlyConfigured("kehu refuses to start in production: " + " ".join(problems))
