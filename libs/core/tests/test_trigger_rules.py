from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind_core.states import TaskInstanceState as TI
from tradewind_core.trigger_rules import Decision, TriggerRule, decide

R = TriggerRule
S, F, UF, SK = TI.SUCCESS, TI.FAILED, TI.UPSTREAM_FAILED, TI.SKIPPED


@pytest.mark.parametrize(
    ("rule", "upstream", "expected"),
    [
        (R.ALL_SUCCESS, [S, S], Decision.RUN),
        (R.ALL_SUCCESS, [S, None], Decision.WAIT),
        (R.ALL_SUCCESS, [F, None], Decision.UPSTREAM_FAILED),  # settled before the rest finish
        (R.ALL_SUCCESS, [UF, S], Decision.UPSTREAM_FAILED),
        (R.ALL_SUCCESS, [SK, S], Decision.SKIP),
        (R.ALL_FAILED, [F, UF], Decision.RUN),
        (R.ALL_FAILED, [F, S], Decision.SKIP),
        (R.ALL_DONE, [F, S, SK], Decision.RUN),
        (R.ALL_DONE, [F, TI.RUNNING], Decision.WAIT),
        (R.ALL_SKIPPED, [SK, SK], Decision.RUN),
        (R.ALL_SKIPPED, [SK, S], Decision.SKIP),
        (R.ONE_SUCCESS, [S, None], Decision.RUN),
        (R.ONE_SUCCESS, [F, SK], Decision.UPSTREAM_FAILED),
        (R.ONE_SUCCESS, [SK, SK], Decision.SKIP),
        (R.ONE_FAILED, [None, F], Decision.RUN),
        (R.ONE_FAILED, [S, SK], Decision.SKIP),
        (R.ONE_DONE, [None, F], Decision.RUN),
        (R.ONE_DONE, [SK, SK], Decision.SKIP),
        (R.NONE_FAILED, [S, SK], Decision.RUN),
        (R.NONE_FAILED, [S, UF], Decision.UPSTREAM_FAILED),
        (R.NONE_FAILED_MIN_ONE_SUCCESS, [SK, S], Decision.RUN),
        (R.NONE_FAILED_MIN_ONE_SUCCESS, [SK, SK], Decision.SKIP),
        (R.NONE_SKIPPED, [S, F], Decision.RUN),
        (R.NONE_SKIPPED, [S, SK], Decision.SKIP),
        (R.ALWAYS, [None, F], Decision.RUN),
    ],
)
def test_rules(rule, upstream, expected):
    assert decide(rule, upstream) is expected


states = st.sampled_from([None, TI.SCHEDULED, TI.QUEUED, TI.RUNNING, TI.UP_FOR_RETRY, S, F, UF, SK])
FINISHED = {S, F, UF, SK}


@given(st.sampled_from(list(R)))
def test_a_task_without_upstream_runs(rule):
    assert decide(rule, []) is Decision.RUN


@given(
    st.sampled_from(list(R)), st.lists(st.sampled_from(sorted(FINISHED)), min_size=1, max_size=8)
)
def test_once_every_upstream_is_finished_no_rule_waits(rule, upstream):
    assert decide(rule, upstream) is not Decision.WAIT


@given(st.sampled_from(list(R)), st.lists(states, min_size=1, max_size=8), st.data())
def test_a_settled_decision_stands_when_upstream_tasks_finish(rule, upstream, data):
    """Decisions are made as soon as the outcome is certain; finishing more upstream
    tasks must never change a decision already taken (else scheduling would depend on
    timing)."""
    first = decide(rule, upstream)
    if first is Decision.WAIT:
        return
    finished = [
        s if s in FINISHED else data.draw(st.sampled_from(sorted(FINISHED))) for s in upstream
    ]
    assert decide(rule, finished) is first
