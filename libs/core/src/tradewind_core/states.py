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
    # Cleared while its try was queued or running: that try is being stopped, and the
    # next one starts only once it has ended (Airflow's meaning), so the two never overlap.
    RESTARTING = "restarting"


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
    # Its stopped try reported its end: it is cleared (no state) and runs again.
    TI.RESTARTING: frozenset({None}),  # type: ignore[arg-type]
    TI.SUCCESS: frozenset(),
    TI.FAILED: frozenset(),
    TI.UPSTREAM_FAILED: frozenset(),
    TI.SKIPPED: frozenset(),
}

_RUN_MOVES: dict[DagRunState, frozenset[DagRunState]] = {
    DagRunState.QUEUED: frozenset({DagRunState.RUNNING}),
    DagRunState.RUNNING: frozenset({DagRunState.SUCCESS, DagRunState.FAILED}),
    # A finished run that is cleared (reprocessed) runs again.
    DagRunState.SUCCESS: frozenset({DagRunState.QUEUED}),
    DagRunState.FAILED: frozenset({DagRunState.QUEUED}),
}
# Moves a person makes through the API (and a run that ends early, marked failed or timed
# out, makes for its task instances), on top of the scheduler's own: marking settles a
# task instance from any other state; clearing returns it to no state so it runs again,
# except that a queued or running one first goes to restarting until its try has ended;
# a run may be marked success, failed or queued from any other state (queued sends a
# finished run back to the scheduler, as clearing its tasks does).
MARKABLE_TI_STATES = frozenset({TI.SUCCESS, TI.FAILED, TI.SKIPPED})
MARKABLE_RUN_STATES = frozenset({DagRunState.QUEUED, DagRunState.SUCCESS, DagRunState.FAILED})
_TRY_OPEN = frozenset({TI.QUEUED, TI.RUNNING})
_MANUAL_TI_MOVES: dict[TaskInstanceState | None, frozenset[TaskInstanceState | None]] = {
    current: (MARKABLE_TI_STATES - {current})
    | (
        {TI.RESTARTING}
        if current in _TRY_OPEN
        else set()
        if current is TI.RESTARTING  # being cleared already
        else {None}
    )  # type: ignore[operator]
    for current in [None, *TaskInstanceState]
}
_MANUAL_RUN_MOVES: dict[DagRunState, frozenset[DagRunState]] = {
    current: MARKABLE_RUN_STATES - {current} for current in DagRunState
}


class IllegalTransition(Exception):
    def __init__(self, what: str, current: object, target: object) -> None:
        super().__init__(f"{what} cannot move from {current or 'none'} to {target}")


def can_move_task(
    current: TaskInstanceState | None,
    target: TaskInstanceState | None,
    *,
    manual: bool = False,
) -> bool:
    """`target` None is a clear. `manual`: a person's move (or a run ending early)."""
    moves = _MANUAL_TI_MOVES if manual else _TI_MOVES
    return target in moves[current]


def check_task_move(
    current: TaskInstanceState | None,
    target: TaskInstanceState | None,
    *,
    manual: bool = False,
) -> None:
    if not can_move_task(current, target, manual=manual):
        raise IllegalTransition("task instance", current, target or "none (cleared)")


def check_run_move(current: DagRunState, target: DagRunState, *, manual: bool = False) -> None:
    if target not in (_MANUAL_RUN_MOVES if manual else _RUN_MOVES)[current]:
        raise IllegalTransition("DAG run", current, target)
