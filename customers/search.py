"""Search keys computed when a customer is written: full pinyin, initials, phone digits, and the
pinyin of the city (the list's city sort).

`张伟` → pinyin "zhangwei", initials "zw"; English names keep their letters ("Anna Li" → "annali",
initials "al"), so one search box serves both.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from core.db import TextIndex

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_DIGITS = re.compile(r"\D+")
_CJK = re.compile(r"[\u3400-\u9fff]")


# Surnames read differently from the same character elsewhere (曾 is zeng, not ceng, as a surname).
SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "朴": "piao", "区": "ou", "查": "zha",
    "翟": "zhai", "乐": "yue", "覃": "qin", "盖": "ge", "缪": "miao", "召": "shao", "尉": "yu",
    "种": "chong", "秘": "bi", "折": "she", "繁": "po", "长": "chang", "重": "chong", "沈": "shen",
}


@lru_cache(maxsize=131072)
def name_keys(name: str, person: bool = False) -> tuple[str, str]:
    """(full pinyin, initials) of a name, lower case, letters and digits only.

    For a person the first character is read as a surname.
    """
    name = (name or "").strip().lower()
    syllables: list[str] = []
    if person and _CJK.match(name):
        # Read the surname on its own: as a phrase, 于思 would come out "yu sai" instead of "yu si".
        syllables.append(SURNAME_READINGS.get(name[0]) or lazy_pinyin(name[0], style=Style.NORMAL)[0])
        name = name[1:]
    # Non-Chinese runs come back as one chunk each; split them into words.
    for chunk in lazy_pinyin(name, style=Style.NORMAL):
        syllables.extend(w for w in _NON_ALNUM.split(chunk.lower()) if w)
    full = "".join(syllables)
    initials = "".join(s[0] for s in syllables)
    return full[:400], initials[:200]


@lru_cache(maxsize=4096)
def first_readings(char: str) -> frozenset[str] | None:
    """Every syllable the pinyin key of a name starting with `char` can start with, or None when
    `char` is not a Chinese character with a reading.

    name_keys() reads a person's first character as a surname (SURNAME_READINGS, else its default
    reading) and an organisation's name as pypinyin's phrases: its first syllable is the default
    reading or the first reading of a dictionary phrase starting with `char`. Readings that start
    with another of the readings are dropped (its range holds them), so the ranges are disjoint.
    """
    if len(char) != 1 or not _CJK.match(char):
        return None
    default = lazy_pinyin(char, style=Style.NORMAL)[0]
    if not default.isalnum() or not default.isascii():
        return None  # no reading: name_keys() keeps the character itself or skips it
    readings = {default.lower()}
    if char in SURNAME_READINGS:
        readings.add(SURNAME_READINGS[char])
    readings.update(lazy_pinyin(phrase, style=Style.NORMAL)[0].lower() for phrase in _phrases_starting_with(char))
    if not all(r.isascii() and r.isalnum() for r in readings):
        return None
    return frozenset(r for r in readings if not any(o != r and r.startswith(o) for o in readings))


def _phrases_starting_with(char: str) -> list[str]:
    from pypinyin.constants import PHRASES_DICT

    return [phrase for phrase in PHRASES_DICT if phrase[0] == char]


@lru_cache(maxsize=4096)
def city_key(city: str) -> str:
    """The city's sort key: its pinyin (上海 → "shanghai"), so that the list sorted by city follows
    pinyin like the name sort does (by code point, 上海 would sort after 北京 but before 广州 by
    accident, not by reading)."""
    return name_keys(city)[0][:300]


# A phone number typed with the mainland's country code: +86 / 0086 / 86 before the national number.
_COUNTRY_CODE = re.compile(r"^(?:\+\s*86|0086|86)")


def phone_query_forms(text: str, key: str) -> list[str]:
    """The digit strings a phone search looks for: the digits as typed, and, when they start with
    the country code (+86 138…, 0086 138…, 86138…), the national number without it, because most
    numbers are stored without it. Both are searched: "86138" may also be part of a stored number."""
    forms = [key]
    if _COUNTRY_CODE.match(text.strip()):
        national = _DIGITS.sub("", _COUNTRY_CODE.sub("", text.strip(), count=1))
        if len(national) >= 3 and national != key:
            forms.append(national)
    return forms


def phone_digits(*phones: str) -> str:
    """Digits of every phone, space-separated, so a fragment like 5678 finds them."""
    return " ".join(d for d in (_DIGITS.sub("", p or "") for p in phones) if d)[:80]


def normalise_query(q: str) -> tuple[str, str]:
    """(query as typed, stripped; its letters-and-digits form for pinyin and phone matching)."""
    q = (q or "").strip()
    return q, _NON_ALNUM.sub("", q.lower())


# The substring index over customers (created by migrations 0004–0006 through core.db; keep them
# equal). E-mail is indexed for its domain: "@163" finds every address at 163.com.
CUSTOMER_TEXT_INDEX = TextIndex(
    name="customer_search",
    table="customers_customer",
    trigram=("name", "name_pinyin", "phone_digits", "email"),
    bigram=("name",),
)
