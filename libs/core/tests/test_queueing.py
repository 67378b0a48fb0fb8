"""Which ready task instances take a pool's open slots: limits are never exceeded, the
order is priority aged by waiting (so nothing starves), and nothing a limit holds back
blocks anything else."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tradewind_core.queueing import (
    SECONDS_PER_WEIGHT,
    Candidate,
    Limits,
    choose_for_pool,
    queue_order,
    queue_rank,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def candidate(i, dag="d", run=1, task="t", slots=1, weight=1, age=0.0):
    ready_at = T0 - timedelta(seconds=age)
    return Candidate(
        key=f"k{i:04d}",
        dag_id=dag,
        run_key=run,
        task_id=task,
        pool_slots=slots,
        priority_weight=weight,
        ready_at=ready_at,
        rank=queue_rank(weight, ready_at),
    )


candidates = st.lists(
    st.builds(
        candidate,
        st.integers(0, 9999),
        dag=st.sampled_from(["a", "b", "c"]),
        run=st.integers(1, 3),
        task=st.sampled_from(["x", "y"]),
        slots=st.integers(1, 4),
        weight=st.integers(-5, 5),
        age=st.integers(0, 100),
    ),
    max_size=40,
    unique_by=lambda c: c.key,
)


@given(
    candidates,
    st.integers(0, 20),
    st.integers(1, 6),
    st.integers(1, 4),
    st.integers(1, 3),
    st.sets(st.sampled_from(["a", "b", "c"])),
)
def test_no_limit_is_ever_exceeded(cands, open_slots, dag_max, per_dag, per_run, paused):
    limits = Limits(
        dag_max={d: dag_max for d in "abc"},
        paused=set(paused),
        task_max_per_dag={(d, "x"): per_dag for d in "abc"},
        task_max_per_run={(d, "y"): per_run for d in "abc"},
    )
    choice = choose_for_pool(cands, open_slots=open_slots, total_slots=20, limits=limits)
    chosen = choice.chosen
    assert sum(c.pool_slots for c in chosen) <= open_slots
    assert not any(c.dag_id in paused for c in chosen)
    assert all(n <= dag_max for n in Counter(c.dag_id for c in chosen).values())
    per_task = Counter((c.dag_id, c.task_id) for c in chosen if c.task_id == "x")
    assert all(n <= per_dag for n in per_task.values())
    per_run_task = Counter((c.run_key, c.task_id) for c in chosen if c.task_id == "y")
    assert all(n <= per_run for n in per_run_task.values())
    assert len({c.key for c in chosen}) == len(chosen)


@given(candidates, st.integers(0, 30))
def test_without_limits_the_pool_fills_in_priority_order(cands, open_slots):
    choice = choose_for_pool(cands, open_slots=open_slots, total_slots=30, limits=Limits())
    ordered = sorted(cands, key=queue_order)
    # What is chosen is exactly a prefix of the queue: nothing jumps ahead of a task
    # waiting for its slots (so a big task is never starved by small ones behind it).
    assert choice.chosen == ordered[: len(choice.chosen)]
    rest = ordered[len(choice.chosen) :]
    if rest:
        used = sum(c.pool_slots for c in choice.chosen)
        assert rest[0].pool_slots > open_slots - used


def test_ties_go_to_the_one_ready_longest():
    old, new = candidate(1, age=50), candidate(2, age=1)
    high = candidate(3, weight=9, age=0)
    choice = choose_for_pool([new, old, high], open_slots=2, total_slots=5, limits=Limits())
    assert choice.chosen == [high, old]


def test_a_dag_at_its_limit_does_not_block_another_dag():
    blocked = [candidate(i, dag="busy", weight=10) for i in range(5)]
    other = candidate(99, dag="quiet", weight=1)
    limits = Limits(dag_max={"busy": 1}, dag_active=Counter({"busy": 1}))
    choice = choose_for_pool([*blocked, other], open_slots=3, total_slots=5, limits=limits)
    assert choice.chosen == [other]


def test_a_task_bigger_than_its_pool_is_passed_over_not_waited_for():
    huge, small = candidate(1, slots=9, weight=5), candidate(2)
    choice = choose_for_pool([huge, small], open_slots=3, total_slots=3, limits=Limits())
    assert choice.chosen == [small] and choice.never_fit == [huge]


def test_among_tasks_ready_at_once_the_heavier_goes_first():
    light, heavy = candidate(1, weight=1), candidate(2, weight=2)
    choice = choose_for_pool([light, heavy], open_slots=1, total_slots=1, limits=Limits())
    assert choice.chosen == [heavy]


def test_a_lighter_task_that_waited_long_enough_goes_before_a_heavier_newcomer():
    waited = candidate(1, weight=1, age=10 * SECONDS_PER_WEIGHT + 1)
    newcomer = candidate(2, weight=11)
    choice = choose_for_pool([newcomer, waited], open_slots=1, total_slots=1, limits=Limits())
    assert choice.chosen == [waited]


arrivals = st.lists(
    st.tuples(st.integers(-1000, 1000), st.floats(0, 1e6, allow_nan=False)),
    min_size=1,
    max_size=50,
)


@given(
    st.integers(-1000, 1000),
    st.floats(0, 1e6, allow_nan=False),
    arrivals,
    st.floats(0.001, 3600, allow_nan=False),
)
def test_no_task_starves_however_much_heavier_work_keeps_arriving(
    weight, ready, later, seconds_per_weight
):
    """A task ready at r with weight w is passed by no task that becomes ready after
    r + (W - w) * seconds_per_weight, where W is the heaviest weight that arrives: with
    slots freeing up, it runs within a bounded wait."""
    heaviest = max([weight, *(w for w, _ in later)])
    bound = ready + (heaviest - weight) * seconds_per_weight
    waiting = queue_rank(weight, T0 + timedelta(seconds=ready), seconds_per_weight)
    for arriving_weight, offset in later:
        arrives = bound + offset + 1e-3  # any time after the bound
        rank = queue_rank(arriving_weight, T0 + timedelta(seconds=arrives), seconds_per_weight)
        assert waiting < rank


@given(
    st.integers(-1000, 1000),
    st.integers(-1000, 1000),
    st.floats(0, 1e6, allow_nan=False),
    st.floats(0, 1e6, allow_nan=False),
    st.floats(0, 1e6, allow_nan=False),
)
def test_the_order_does_not_change_as_time_passes(w1, w2, r1, r2, later):
    """Aged priority compared at any moment (weight + time waited / seconds_per_weight)
    gives the order of the ranks: a stored rank never needs updating."""
    now = max(r1, r2) + later

    def aged(w, r):
        return w + (now - r) / SECONDS_PER_WEIGHT

    rank1 = queue_rank(w1, T0 + timedelta(seconds=r1))
    rank2 = queue_rank(w2, T0 + timedelta(seconds=r2))
    if abs(aged(w1, r1) - aged(w2, r2)) > 1e-6:
        assert (rank1 < rank2) == (aged(w1, r1) > aged(w2, r2))
