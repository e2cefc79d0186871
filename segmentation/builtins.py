"""The built-in schemes and their classes, defined in code so that their names follow the user's
language (rows in Scheme/SchemeClass carry keys, managers and positions; names shown to users for
built-in schemes come from here, see `scheme_label` / `class_label`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from segmentation.choices import COMPUTED_SCHEMES, RfmSegment, SchemeKind

NOT_SET = "not_set"


@dataclass(frozen=True)
class BuiltinScheme:
    key: str
    name: Promise
    kind: str
    classes: list[tuple[str, Promise]]
    description: Promise | str = ""
    actions: dict[str, Promise] = field(default_factory=dict)


# Suggested action per RFM segment, shown to the owner (docs/segmentation.md).
RFM_ACTIONS: dict[str, Promise] = {
    RfmSegment.CHAMPIONS: _("Reward them; ask for referrals; offer new products first."),
    RfmSegment.LOYAL: _("Up-sell higher-value products; invite to the loyalty programme."),
    RfmSegment.POTENTIAL_LOYALIST: _("Offer membership or a bundle to make buying a habit."),
    RfmSegment.NEW: _("Welcome them; help with the first weeks; make the second purchase easy."),
    RfmSegment.PROMISING: _("Build the relationship: a call, a relevant offer."),
    RfmSegment.NEED_ATTENTION: _("Reach out with a personal, time-limited offer."),
    RfmSegment.ABOUT_TO_SLEEP: _("Reactivate: share useful products; a small incentive."),
    RfmSegment.AT_RISK: _("Call personally: find out what changed; win them back."),
    RfmSegment.CANT_LOSE: _("Top priority: a senior manager calls; fix what went wrong."),
    RfmSegment.HIBERNATING: _("Low-cost reactivation; otherwise let them rest."),
    RfmSegment.NO_RECENT_PURCHASE: _("No order in the window: check the lifecycle stage before spending effort."),
}

COMPUTED_NAMES: dict[str, Promise] = {
    "abc": _("ABC value tiers"),
    "rfm": _("RFM"),
    "lifecycle": _("Lifecycle"),
    "loyalty": _("Loyalty"),
    "value_matrix": _("Value matrix"),
}

MANUAL_SCHEMES: list[BuiltinScheme] = [
    BuiltinScheme("relationship_level", _("Relationship level"), SchemeKind.MANUAL, [
        ("transactional", _("Transactional")), ("preferred", _("Preferred supplier")),
        ("partner", _("Partner")), ("strategic_alliance", _("Strategic alliance")),
        (NOT_SET, _("Not set"))]),
    BuiltinScheme("org_relationship_class", _("Organisation relationship class"), SchemeKind.MANUAL, [
        ("a_strategic", _("A · strategic partner")), ("b_partner", _("B · partner")),
        ("c_ordinary", _("C · ordinary")), (NOT_SET, _("Not set"))]),
    BuiltinScheme("purchase_relationship", _("Purchase relationship"), SchemeKind.MANUAL, [
        ("consumer", _("Consumer")), ("intermediary", _("Intermediary")), ("internal", _("Internal")),
        ("public_interest", _("Public interest")), (NOT_SET, _("Not set"))]),
    BuiltinScheme("value_capability", _("Value capability"), SchemeKind.MANUAL, [
        ("lighthouse", _("Lighthouse")), ("follower", _("Follower")), ("rational", _("Rational")),
        ("bargain_seeker", _("Bargain-seeker")), (NOT_SET, _("Not set"))]),
]


def builtin_schemes() -> list[BuiltinScheme]:
    """Every built-in scheme: the computed ones (classes from segmentation.choices), then the manual ones."""
    computed = [
        BuiltinScheme(key, COMPUTED_NAMES[key], SchemeKind.COMPUTED, [(c.value, c.label) for c in choices],
                      actions=RFM_ACTIONS if key == "rfm" else {})
        for key, choices in COMPUTED_SCHEMES.items()
    ]
    return computed + MANUAL_SCHEMES


def _by_key() -> dict[str, BuiltinScheme]:
    return {s.key: s for s in builtin_schemes()}


def scheme_label(scheme: object) -> str:
    """The name to show for a Scheme row: the translated built-in name, or the user's own."""
    builtin = _by_key().get(getattr(scheme, "key", "")) if getattr(scheme, "built_in", False) else None
    return str(builtin.name) if builtin else str(getattr(scheme, "name", ""))


def class_label(scheme_key: str, class_key: str, fallback: str = "") -> str:
    """The name to show for a class of a built-in scheme (fallback: the stored name)."""
    builtin = _by_key().get(scheme_key)
    if builtin:
        for key, label in builtin.classes:
            if key == class_key:
                return str(label)
    return fallback or class_key


