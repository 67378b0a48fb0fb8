"""Is a task instance ready to be scheduled? Its trigger rule over its upstream states,
then, for a task that depends on its past, the previous run's instance. Pure code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tradewind_core.states import TaskInstanceState as TI
from tradewind_core.trigger_rules import Decision, TriggerRule, decide

# Airflow's "done" for depends_on_past and wait_for_downstream.
PAST_DONE = frozenset({TI.SUCCESS, TI.SKIPPED})


@dataclass(frozen=True)
class Past:
    """The same task's instance in the previous run (by logical date), if there was one."""

    exists: bool
    state: TI | None = None
    # States of that instance's immediate downstream instances.
    downstream_states: tuple[TI | None, ...] = ()


NO_PAST = Past(exists=False)


def past_allows(*, depends_on_past: bool, wait_for_downstream: bool, past: Past) -> bool:
    if not (depends_on_past or wait_for_downstream) or not past.exists:
        return True  # the first run has no past to wait for
    if past.state not in PAST_DONE:
        return False
    return not wait_for_downstream or all(s in PAST_DONE for s in past.downstream_states)


def readiness(
    rule: TriggerRule,
    upstream_states: Iterable[TI | None],
    *,
    depends_on_past: bool = False,
    wait_for_downstream: bool = False,
    past: Past = NO_PAST,
) -> Decision:
    """RUN only when the trigger rule says run and the past allows it; a task settled by
    its trigger rule (skip, upstream failed) is settled whatever its past."""
    decision = decide(rule, upstream_states)
    if decision is Decision.RUN and not past_allows(
        depends_on_past=depends_on_past, wait_for_downstream=wait_for_downstream, past=past
    ):
        return Decision.WAIT
    return decision
