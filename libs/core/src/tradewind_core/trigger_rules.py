"""Trigger rules: given the states of a task's upstream tasks, should it run now, keep
waiting, or be settled without running? Airflow's rule names and meanings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from enum import StrEnum

from tradewind_core.states import TaskInstanceState as TI


class TriggerRule(StrEnum):
    ALL_SUCCESS = "all_success"
    ALL_FAILED = "all_failed"
    ALL_DONE = "all_done"
    ALL_SKIPPED = "all_skipped"
    ONE_SUCCESS = "one_success"
    ONE_FAILED = "one_failed"
    ONE_DONE = "one_done"
    NONE_FAILED = "none_failed"
    NONE_FAILED_MIN_ONE_SUCCESS = "none_failed_min_one_success"
    NONE_SKIPPED = "none_skipped"
    ALWAYS = "always"


class Decision(StrEnum):
    WAIT = "wait"
    RUN = "run"
    SKIP = "skip"
    UPSTREAM_FAILED = "upstream_failed"


def decide(rule: TriggerRule, upstream_states: Iterable[TI | None]) -> Decision:
    """Decides from upstream states; a task with no upstream always runs."""
    states = list(upstream_states)
    if rule is TriggerRule.ALWAYS or not states:
        return Decision.RUN
    count = Counter(states)
    total = len(states)
    success = count[TI.SUCCESS]
    failed = count[TI.FAILED] + count[TI.UPSTREAM_FAILED]
    skipped = count[TI.SKIPPED]
    done = success + failed + skipped
    all_done = done == total

    match rule:
        case TriggerRule.ALL_SUCCESS:
            # Settle as soon as the outcome is certain: a failure decides at once, but a
            # skip only once the rest are done (one of them may still fail, and failure
            # wins), so the decision never depends on which upstream finished first.
            if failed:
                return Decision.UPSTREAM_FAILED
            if skipped:
                return Decision.SKIP if all_done else Decision.WAIT
            return Decision.RUN if success == total else Decision.WAIT
        case TriggerRule.ALL_FAILED:
            if success or skipped:
                return Decision.SKIP
            return Decision.RUN if failed == total else Decision.WAIT
        case TriggerRule.ALL_DONE:
            return Decision.RUN if all_done else Decision.WAIT
        case TriggerRule.ALL_SKIPPED:
            if success or failed:
                return Decision.SKIP
            return Decision.RUN if skipped == total else Decision.WAIT
        case TriggerRule.ONE_SUCCESS:
            if success:
                return Decision.RUN
            if not all_done:
                return Decision.WAIT
            return Decision.UPSTREAM_FAILED if failed else Decision.SKIP
        case TriggerRule.ONE_FAILED:
            if failed:
                return Decision.RUN
            return Decision.SKIP if all_done else Decision.WAIT
        case TriggerRule.ONE_DONE:
            if success or failed:
                return Decision.RUN
            return Decision.SKIP if all_done else Decision.WAIT
        case TriggerRule.NONE_FAILED:
            if failed:
                return Decision.UPSTREAM_FAILED
            return Decision.RUN if all_done else Decision.WAIT
        case TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS:
            if failed:
                return Decision.UPSTREAM_FAILED
            if not all_done:
                return Decision.WAIT
            return Decision.RUN if success else Decision.SKIP
        case TriggerRule.NONE_SKIPPED:
            if skipped:
                return Decision.SKIP
            return Decision.RUN if all_done else Decision.WAIT
    raise AssertionError(f"unhandled trigger rule {rule}")
