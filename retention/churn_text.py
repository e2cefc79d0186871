"""Texts of the churn part shared by the command, the page and the API."""

from __future__ import annotations

from django.utils.translation import gettext as _

from retention.sbg import SurvivorsError


def survivors_message(error: SurvivorsError) -> str:
    """The reason a cohort cannot be fitted, in the user's language."""
    messages = {
        "not_numbers": _("The survivor counts must be numbers."),
        "too_few": _("Give the survivors for at least four periods (the start and three more): with fewer the "
                     "two parameters cannot both be estimated."),
        "negative": _("Survivor counts cannot be negative."),
        "empty_cohort": _("The cohort is empty at the start (the first count must be above 0)."),
        "increasing": _("Survivor counts cannot rise from one period to the next: give the customers of one "
                        "cohort still active after 0, 1, 2 … periods."),
        "no_churn": _("Nobody left the cohort, so the drop-out rate cannot be estimated."),
        "all_lost": _("Nobody is left at the end, so the model cannot be fitted (the estimate runs off to "
                      "infinity)."),
    }
    return messages.get(error.code, str(error))
