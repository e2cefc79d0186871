"""The complaint workflow (pure): every allowed step and every forbidden one."""

import pytest
from django.utils import translation

from service import complaint_workflow as wf
from service.complaint_workflow import ComplaintState as S

FORWARD = [S.RECEIVED, S.ACKNOWLEDGED, S.INVESTIGATING, S.RESOLVED, S.INFORMED, S.FOLLOWED_UP, S.CLOSED]
ALLOWED = {(a, b) for a, b in zip(FORWARD, FORWARD[1:], strict=False)} | {
    (s, S.INVESTIGATING) for s in (S.RESOLVED, S.INFORMED, S.FOLLOWED_UP, S.CLOSED)}


@pytest.mark.parametrize("pair", sorted(ALLOWED))
def test_allowed_steps(pair):
    wf.check(*pair)


@pytest.mark.parametrize("pair", sorted({(a, b) for a in S.values for b in S.values} - ALLOWED))
def test_forbidden_steps_are_refused_naming_the_allowed_ones(pair):
    with pytest.raises(wf.TransitionRefused) as refused:
        wf.check(*pair)
    for allowed in wf.allowed_next(pair[0]):
        assert wf.state_label(allowed) in refused.value.message


def test_refusal_in_both_languages():
    with translation.override("en"), pytest.raises(
            wf.TransitionRefused, match="cannot go from “Received” to “Closed”.*“Acknowledged”"):
        wf.check(S.RECEIVED, S.CLOSED)
    with translation.override("zh-hans"):
        with pytest.raises(wf.TransitionRefused) as refused:
            wf.check(S.RECEIVED, S.CLOSED)
        assert "投诉不能从“已受理”直接变为“已结案”" in refused.value.message
        assert "“已确认”" in refused.value.message


def test_unknown_state_refused():
    with pytest.raises(wf.TransitionRefused):
        wf.check(S.RECEIVED, "teleported")


def test_reopen_is_recognised_and_labelled():
    assert wf.is_reopen(S.CLOSED, S.INVESTIGATING)
    assert not wf.is_reopen(S.ACKNOWLEDGED, S.INVESTIGATING)
    with translation.override("en"):
        assert wf.action_label(S.CLOSED, S.INVESTIGATING) == "Reopen"
