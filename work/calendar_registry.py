"""What higher apps contribute to the calendar, without work importing them (ADR 0008).

Outcome recorders — ``add_outcome_recorder(recorder)``: ``recorder(*, actor, appointment, outcome)``
records what came of a past appointment as a record of the higher app (interactions registers one:
an Interaction on the channel of the appointment's kind, for its customer, at its start, with its
notes and `outcome`) inside the caller's transaction and returns the new record (a saved model
instance); it raises ValidationError/PermissionDenied to refuse. The first recorder registered is the
one used; the appointment page offers "Record outcome" only while one is registered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core import registry

OUTCOME_RECORDERS = "work.appointment_outcome_recorders"

OutcomeRecorder = Callable[..., Any]


def add_outcome_recorder(recorder: OutcomeRecorder) -> None:
    """Register a recorder (see the module docstring for the contract)."""
    registry.add(OUTCOME_RECORDERS, recorder)


def outcome_recorder() -> OutcomeRecorder | None:
    """The recorder in use, or None when no app registered one."""
    recorders = registry.get_all(OUTCOME_RECORDERS)
    return recorders[0] if recorders else None
