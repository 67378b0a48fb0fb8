"""Readiness (trigger rules, then the past) and priority weights from the task graph."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tradewind_core.priority import INT32_MAX, WeightRule, effective_weights
from tradewind_core.readiness import Past, past_allows, readiness
from tradewind_core.states import TaskInstanceState as TI
from tradewind_core.trigger_rules import Decision, TriggerRule, decide

states = st.sampled_from([None, *TI])
pasts = st.builds(
    Past,
    exists=st.booleans(),
    state=states,
    downstream_states=st.lists(states, max_size=3).map(tuple),
)


@given(
    st.sampled_from(list(TriggerRule)),
    st.lists(states, max_size=5),
    st.booleans(),
    st.booleans(),
    pasts,
)
def test_the_past_only_ever_holds_a_task_back(rule, upstream, dop, wfd, past):
    by_rule = decide(rule, upstream)
    decision = readiness(rule, upstream, depends_on_past=dop, wait_for_downstream=wfd, past=past)
    if by_rule is not Decision.RUN:
        assert decision is by_rule  # settled or waiting by the rule, whatever the past
    else:
        allowed = past_allows(depends_on_past=dop, wait_for_downstream=wfd, past=past)
        assert decision is (Decision.RUN if allowed else Decision.WAIT)


def test_depends_on_past_waits_for_the_previous_instance_to_succeed_or_skip():
    for state, ok in [(TI.SUCCESS, True), (TI.SKIPPED, True), (TI.FAILED, False), (None, False)]:
        past = Past(exists=True, state=state)
        assert past_allows(depends_on_past=True, wait_for_downstream=False, past=past) is ok
    assert past_allows(depends_on_past=True, wait_for_downstream=False, past=Past(exists=False))


def test_wait_for_downstream_also_waits_for_the_previous_downstream():
    past = Past(exists=True, state=TI.SUCCESS, downstream_states=(TI.SUCCESS, TI.RUNNING))
    assert not past_allows(depends_on_past=False, wait_for_downstream=True, past=past)
    done = Past(exists=True, state=TI.SUCCESS, downstream_states=(TI.SUCCESS, TI.SKIPPED))
    assert past_allows(depends_on_past=False, wait_for_downstream=True, past=done)


def _brute(upstream, weights, rule):
    down = {t: [d for d, ups in upstream.items() if t in ups] for t in upstream}

    def reach(t, edges):
        seen, stack = set(), list(edges[t])
        while stack:
            n = stack.pop()
            if n not in seen:
                seen.add(n)
                stack.extend(edges[n])
        return seen

    result = {}
    for t in upstream:
        if rule is WeightRule.DOWNSTREAM:
            others = reach(t, down)
        elif rule is WeightRule.UPSTREAM:
            others = reach(t, {k: list(v) for k, v in upstream.items()})
        else:
            others = set()
        result[t] = weights[t] + sum(weights[o] for o in others)
    return result


@st.composite
def graphs(draw):
    n = draw(st.integers(1, 12))
    ids = [f"t{i}" for i in range(n)]
    upstream = {
        t: draw(st.sets(st.sampled_from(ids[:i]), max_size=3)) if i else set()
        for i, t in enumerate(ids)
    }
    weights = {t: draw(st.integers(-3, 10)) for t in ids}
    return upstream, weights


@given(graphs(), st.sampled_from(list(WeightRule)))
def test_weights_sum_over_every_task_reached_once(graph, rule):
    upstream, weights = graph
    got = effective_weights(upstream, weights, dict.fromkeys(upstream, rule))
    assert got == _brute(upstream, weights, rule)


def test_weights_are_clamped_to_int32_and_a_long_chain_is_cheap():
    n = 10_000
    upstream = {f"t{i}": [f"t{i - 1}"] if i else [] for i in range(n)}
    weights = dict.fromkeys(upstream, INT32_MAX)
    got = effective_weights(upstream, weights, dict.fromkeys(upstream, WeightRule.DOWNSTREAM))
    assert got["t0"] == INT32_MAX and got[f"t{n - 1}"] == INT32_MAX
    ones = effective_weights(
        upstream, dict.fromkeys(upstream, 1), dict.fromkeys(upstream, WeightRule.DOWNSTREAM)
    )
    assert ones["t0"] == n and ones[f"t{n - 1}"] == 1
