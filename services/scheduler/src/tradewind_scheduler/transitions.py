"""Every state change of a task instance or a DAG run, with its side effects, in one place.

Each function names the move it makes; each checks it against the one table of legal moves
(`tradewind_core.states`), so an illegal move is refused loudly and changes nothing, and
each sets what goes with the move: dates, try number, retry time, host, reason. Nothing
else in the scheduler assigns `state`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tradewind_core.queueing import SECONDS_PER_WEIGHT, queue_rank
from tradewind_core.spec import MAX_DURATION, TaskSpec
from tradewind_core.states import (
    FINISHED_TI_STATES,
    DagRunState,
    TaskInstanceState,
    can_move_task,
    check_run_move,
    check_task_move,
)
from tradewind_scheduler.models import DagRun, TaskInstance

TI = TaskInstanceState
# Airflow's ceiling for exponential backoff when max_retry_delay is unset.
DEFAULT_MAX_RETRY_DELAY = timedelta(days=1)


def state_of(ti: TaskInstance) -> TaskInstanceState | None:
    return TI(ti.state) if ti.state else None


def _move(ti: TaskInstance, target: TaskInstanceState | None, *, manual: bool = False) -> None:
    check_task_move(state_of(ti), target, manual=manual)
    ti.state = target.value if target is not None else None


def _clear_fields(ti: TaskInstance) -> None:
    ti.queued_by_job_id = None
    ti.start_date = ti.end_date = ti.next_retry_at = None
    ti.scheduled_when = ti.queued_when = None
    ti.hostname, ti.pid, ti.failure_reason = "", None, None


def schedule(
    ti: TaskInstance, *, now: datetime, seconds_per_weight: float = SECONDS_PER_WEIGHT
) -> None:
    """Its dependencies are met: it waits for a slot (none -> scheduled, or a retry due),
    in its pool's queue at its aged-priority rank (tradewind_core.queueing)."""
    _move(ti, TI.SCHEDULED)
    ti.scheduled_when = now
    ti.queue_rank = queue_rank(ti.priority_weight, now, seconds_per_weight)
    ti.next_retry_at = None


def queue(ti: TaskInstance, *, now: datetime, by: str | None = None) -> None:
    """Given a slot (by the scheduler `by`) and handed to the dispatcher: a new try."""
    _move(ti, TI.QUEUED)
    ti.queued_by_job_id = by
    ti.try_number += 1
    ti.queued_when = now
    ti.start_date = ti.end_date = ti.next_retry_at = None
    ti.hostname, ti.pid = "", None
    ti.failure_reason = None


def settle(ti: TaskInstance, target: TaskInstanceState, *, now: datetime) -> None:
    """Decided without running: skipped or upstream_failed by its trigger rule."""
    if target not in (TI.SKIPPED, TI.UPSTREAM_FAILED):
        raise ValueError(f"a task instance is settled as skipped or upstream_failed, not {target}")
    _move(ti, target)
    ti.start_date = ti.end_date = now


def start(
    ti: TaskInstance, *, at: datetime | None, hostname: str, pid: int | None, now: datetime
) -> bool:
    """Its attempt started. False (and nothing changed) when that is no longer news."""
    if state_of(ti) is not TI.QUEUED:
        return False
    _move(ti, TI.RUNNING)
    ti.start_date = at or now
    ti.hostname, ti.pid = hostname, pid
    return True


def finish(
    ti: TaskInstance,
    outcome: TaskInstanceState,
    *,
    task: TaskSpec | None,
    started: datetime | None,
    ended: datetime | None,
    hostname: str = "",
    pid: int | None = None,
    reason: str = "",
    now: datetime,
) -> TaskInstanceState | None:
    """Its attempt ended with `outcome`. A failure with tries left becomes up_for_retry
    with its retry time; a restarting one (cleared while this try ran) is cleared now
    that the try is over, and returns None like a report that changes nothing else.
    Returns the state reached, or None when the move is no longer legal (a duplicate or
    stale report), in which case nothing changed."""
    if state_of(ti) is TI.RESTARTING:
        _move(ti, None)
        _clear_fields(ti)
        return None
    target = outcome
    retry = outcome is TI.FAILED and task is not None and ti.try_number <= ti.max_tries
    if retry:
        target = TI.UP_FOR_RETRY
    if not can_move_task(state_of(ti), target):
        return None
    end = ended or now
    _move(ti, target)
    ti.start_date = ti.start_date or started or now
    ti.end_date = end
    ti.hostname = hostname or ti.hostname
    ti.pid = pid or ti.pid
    ti.failure_reason = reason or None
    if retry:
        assert task is not None
        ti.next_retry_at = retry_time(task, ti.try_number, after=end)
    return target


def retry_time(task: TaskSpec, try_number: int, *, after: datetime) -> datetime:
    """When the next try may start. Computed in seconds and clamped, so no retry delay,
    backoff exponent or end date can overflow a date (it once stuck every run)."""
    delay = task.retry_delay.total_seconds()
    if task.retry_exponential_backoff:
        ceiling = (task.max_retry_delay or DEFAULT_MAX_RETRY_DELAY).total_seconds()
        exponent = min(max(0, try_number - 1), 64)
        delay = min(delay * 2.0**exponent, ceiling)
    delay = min(delay, MAX_DURATION.total_seconds())
    try:
        return after + timedelta(seconds=delay)
    except OverflowError:
        return datetime.max.replace(tzinfo=after.tzinfo)


def start_run(run: DagRun, *, now: datetime) -> None:
    check_run_move(DagRunState(run.state), DagRunState.RUNNING)
    run.state = DagRunState.RUNNING.value
    run.start_date = now


def end_run(run: DagRun, *, failed: bool, now: datetime) -> DagRunState:
    final = DagRunState.FAILED if failed else DagRunState.SUCCESS
    check_run_move(DagRunState(run.state), final)
    run.state = final.value
    run.end_date = now
    return final


# -- moves a person makes (and a run that ends early makes for its task instances) --------


def mark(ti: TaskInstance, target: TaskInstanceState, *, now: datetime) -> None:
    """Settled by hand (success, failed, skipped), or by its run ending early."""
    finished = state_of(ti) in FINISHED_TI_STATES
    _move(ti, target, manual=True)
    if not finished or ti.end_date is None:
        ti.end_date = now
    ti.start_date = ti.start_date or now
    ti.next_retry_at = None


def clear(ti: TaskInstance, *, retries: int) -> bool:
    """Cleared to run again, with its retries anew (as Airflow does); the next try is
    try_number + 1. A queued or running one becomes restarting until its try has ended
    (the caller stops that try). Returns False for one being cleared already."""
    current = state_of(ti)
    if current is TI.RESTARTING:
        return False
    ti.max_tries = ti.try_number + retries
    if current in (TI.QUEUED, TI.RUNNING):
        _move(ti, TI.RESTARTING, manual=True)
        return True
    _move(ti, None, manual=True)
    _clear_fields(ti)
    return True


def mark_run(run: DagRun, target: DagRunState, *, now: datetime) -> None:
    """Marked by hand: queued runs it again; success or failed ends it."""
    check_run_move(DagRunState(run.state), target, manual=True)
    if target is DagRunState.QUEUED:
        requeue_run(run, now=now)
        return
    run.state = target.value
    run.end_date = now
    run.timeout_at = None


def requeue_run(run: DagRun, *, now: datetime) -> None:
    """Back to the scheduler with tasks to do again (a clear, a reprocessing backfill):
    as Airflow resets cleared runs to queued, max_active_runs applies to it again."""
    if run.state == DagRunState.QUEUED.value:
        return
    check_run_move(DagRunState(run.state), DagRunState.QUEUED, manual=True)
    run.state = DagRunState.QUEUED.value
    run.queued_at = now
    run.start_date = run.end_date = run.timeout_at = None


def time_out_run(run: DagRun, *, now: datetime) -> None:
    """Its dagrun_timeout passed: it fails (its task instances are ended by `mark`)."""
    end_run(run, failed=True, now=now)
    run.timeout_at = None
