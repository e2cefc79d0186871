"""The complaint workflow (D6): the sources' six steps of handling a complaint as states.

received → acknowledged → investigating → resolved → customer informed → follow-up done → closed,
and reopen: a resolved, informed, followed-up or closed complaint goes back to investigating when
the customer is not satisfied after all. Pure: no database, no request — the services ask it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy


class ComplaintState(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("complaint state", "Received")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("complaint state", "Acknowledged")
    INVESTIGATING = "investigating", pgettext_lazy("complaint state", "Investigating")
    RESOLVED = "resolved", pgettext_lazy("complaint state", "Resolved")
    INFORMED = "informed", pgettext_lazy("complaint state", "Customer informed")
    FOLLOWED_UP = "followed_up", pgettext_lazy("complaint state", "Follow-up done")
    CLOSED = "closed", pgettext_lazy("complaint state", "Closed")


S = ComplaintState

# The forward path, one step at a time (no step may be skipped: each is a promise to the customer).
_FORWARD: dict[str, str] = {
    S.RECEIVED: S.ACKNOWLEDGED,
    S.ACKNOWLEDGED: S.INVESTIGATING,
    S.INVESTIGATING: S.RESOLVED,
    S.RESOLVED: S.INFORMED,
    S.INFORMED: S.FOLLOWED_UP,
    S.FOLLOWED_UP: S.CLOSED,
}
# Reopen: the handling did not satisfy the customer; the complaint is investigated again.
REOPENABLE: frozenset[str] = frozenset({S.RESOLVED, S.INFORMED, S.FOLLOWED_UP, S.CLOSED})

TRANSITIONS: dict[str, tuple[str, ...]] = {
    state: tuple([_FORWARD[state]] if state in _FORWARD else []) + ((S.INVESTIGATING,) if state in REOPENABLE else ())
    for state in S.values
}

# States in which the complaint is still being handled (counts as "open" for SLA and anticipation).
OPEN_STATES: frozenset[str] = frozenset({S.RECEIVED, S.ACKNOWLEDGED, S.INVESTIGATING})
# Before these, the acknowledge clock runs; before RESOLVED the resolve clock runs.
UNACKNOWLEDGED: frozenset[str] = frozenset({S.RECEIVED})
UNRESOLVED: frozenset[str] = OPEN_STATES

# The verb shown on the button that moves a complaint to a state.
ACTION_LABELS = {
    S.ACKNOWLEDGED: gettext_lazy("Acknowledge"),
    S.INVESTIGATING: gettext_lazy("Investigate"),
    S.RESOLVED: gettext_lazy("Mark resolved"),
    S.INFORMED: gettext_lazy("Customer informed"),
    S.FOLLOWED_UP: gettext_lazy("Follow-up done"),
    S.CLOSED: gettext_lazy("Close"),
}
REOPEN_LABEL = gettext_lazy("Reopen")


class TransitionRefused(ValueError):
    """A step the workflow does not allow; `message` names the allowed next steps."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def allowed_next(state: str) -> tuple[str, ...]:
    return TRANSITIONS.get(state, ())


def is_reopen(from_state: str, to_state: str) -> bool:
    return from_state in REOPENABLE and to_state == S.INVESTIGATING


def action_label(from_state: str, to_state: str) -> str:
    return str(REOPEN_LABEL if is_reopen(from_state, to_state) else ACTION_LABELS[to_state])


def state_label(state: str) -> str:
    return str(dict(S.choices).get(state, state))


def check(from_state: str, to_state: str) -> None:
    """Raise TransitionRefused unless `to_state` may follow `from_state`."""
    if to_state not in S.values:
        raise TransitionRefused(_("“%(state)s” is not a step of a complaint.") % {"state": to_state})
    allowed = allowed_next(from_state)
    if to_state in allowed:
        return
    if not allowed:
        raise TransitionRefused(_("A complaint that is %(state)s cannot move on.") % {"state": state_label(from_state)})
    raise TransitionRefused(
        _("A complaint cannot go from “%(from)s” to “%(to)s”; the next step may be: %(allowed)s.") % {
            "from": state_label(from_state), "to": state_label(to_state),
            "allowed": pgettext("list separator", ", ").join(f"“{state_label(s)}”" for s in allowed),
        })
