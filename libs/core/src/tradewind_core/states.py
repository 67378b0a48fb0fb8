"""Task instance and DAG run states (Airflow's names and meanings), and the one place that
knows which moves between them are legal."""

from __future__ import annotations

from enum import StrEnum


class TaskInstanceState(StrEnum):
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    UP_FOR_RETRY = "up_for_retry"
    UPSTREAM_FAILED = "upstream_failed"
    SKIPPED = "skipped"


class DagRunState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"


TI = TaskInstanceState
# None is "no decision yet": the task waits for its upstream.
FINISHED_TI_STATES = frozenset({TI.SUCCESS, TI.FAILED, TI.UPSTREAM_FAILED, TI.SKIPPED})
FAILED_TI_STATES = frozenset({TI.FAILED, TI.UPSTREAM_FAILED})

_TI_MOVES: dict[TaskInstanceState | None, frozenset[TaskInstanceState]] = {
    None: frozenset({TI.SCHEDULED, TI.UPSTREAM_FAILED, TI.SKIPPED}),
    TI.SCHEDULED: frozenset({TI.QUEUED}),
    # A finished event may overtake its started event, so queued can end directly.
    TI.QUEUED: frozenset({TI.RUNNING, TI.SUCCESS, TI.FAILED, TI.SKIPPED, TI.UP_FOR_RETRY}),
    TI.RUNNING: frozenset({TI.SUCCESS, TI.FAILED, TI.SKIPPED, TI.UP_FOR_RETRY}),
    TI.UP_FOR_RETRY: frozenset({TI.SCHEDULED}),
    TI.SUCCESS: frozenset(),
    TI.FAILED: frozenset(),
    TI.UPSTREAM_FAILED: frozenset(),
    TI.SKIPPED: frozenset(),
}

_RUN_MOVES: dict[DagRunState, frozenset[DagRunState]] = {
    DagRunState.QUEUED: frozenset({DagRunState.RUNNING}),
    DagRunState.RUNNING: frozenset({DagRunState.SUCCESS, DagRunState.FAILED}),
    DagRunState.SUCCESS: frozenset(),
    DagRunState.FAILED: frozenset(),
}


class IllegalTransition(Exception):
    def __init__(self, what: str, current: object, target: object) -> None:
        super().__init__(f"{what} cannot move from {current or 'none'} to {target}")


def can_move_task(current: TaskInstanceState | None, target: TaskInstanceState) -> bool:
    return target in _TI_MOVES[current]


def check_task_move(current: TaskInstanceState | None, target: TaskInstanceState) -> None:
    if not can_move_task(current, target):
        raise IllegalTransition("task instance", current, target)


def check_run_move(current: DagRunState, target: DagRunState) -> None:
    if target not in _RUN_MOVES[current]:
        raise IllegalTransition("DAG run", current, target)
