"""Task attempts: recorded when dispatched, claimed by exactly one worker, held under a
lease the worker renews, finished once. Legal moves are in attempt_states.py.

Every change that the scheduler must hear of writes an outbox row in the same
transaction (see outbox.py).
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import load_only

from tradewind_core.errors import Conflict, NotFound, PermissionDenied
from tradewind_core.timeutil import utcnow
from tradewind_dispatcher import outbox, task_log_lines
from tradewind_dispatcher.attempt_states import FAILED, QUEUED, RUNNING, check_move
from tradewind_dispatcher.models import TaskAttempt


@dataclass(frozen=True)
class NewAttempt:
    task_instance_id: str
    try_number: int
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    queue: str
    priority_weight: int
    task: dict[str, Any]
    context: dict[str, Any]


async def record_attempts(session: AsyncSession, items: list[NewAttempt]) -> list[TaskAttempt]:
    """Records the attempts not recorded yet; returns only those (to be published)."""
    if not items:
        return []
    now = utcnow()
    rows = {
        (i.task_instance_id, i.try_number): {
            "id": str(uuid.uuid4()),
            "state": QUEUED,
            "created_at": now,
            **i.__dict__,
        }
        for i in items
    }
    # One statement: what already exists (a resend) is skipped, and only the new
    # attempts come back, in the same round trip.
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(TaskAttempt)
        .values(list(rows.values()))
        .on_conflict_do_nothing(index_elements=["task_instance_id", "try_number"])
        .returning(TaskAttempt)
    )
    result = await session.execute(statement)
    return list(result.scalars())


@dataclass(frozen=True)
class ClaimRequest:
    attempt_id: str
    worker_id: str
    hostname: str


@dataclass(frozen=True)
class LeaseRenewal:
    attempt_id: str
    token: str
    pid: int


@dataclass(frozen=True)
class Report:
    attempt_id: str
    token: str
    outcome: str
    exit_code: int | None
    reason: str
    pid: int | None


# What a lease renewal or a result needs of an attempt: not its task and context, whose
# JSON would be decoded for every call on the busiest path.
_LEAN = load_only(
    TaskAttempt.task_instance_id,
    TaskAttempt.try_number,
    TaskAttempt.state,
    TaskAttempt.fencing_token,
    TaskAttempt.worker_id,
    TaskAttempt.hostname,
    TaskAttempt.pid,
    TaskAttempt.exit_code,
    TaskAttempt.reason,
    TaskAttempt.claimed_at,
    TaskAttempt.heartbeat_at,
    TaskAttempt.ended_at,
)


async def _locked(
    session: AsyncSession, ids: Sequence[str], *, lock: bool, lean: bool = False
) -> dict[str, TaskAttempt]:
    """The attempts by id, read in one statement; locked in id order (one lock order, so
    two batches cannot deadlock) when the caller decides on their state."""
    query = select(TaskAttempt).where(TaskAttempt.id.in_(sorted(set(ids))))
    if lean:
        query = query.options(_LEAN)
    if lock:
        query = query.order_by(TaskAttempt.id).with_for_update()
    result = await session.execute(query)
    return {a.id: a for a in result.scalars()}


async def claim_many(
    session: AsyncSession, requests: Sequence[ClaimRequest]
) -> list[TaskAttempt | Exception]:
    """Gives each attempt to the worker asking for it: once. The same worker claiming
    again (its first reply was lost, or its message was delivered again) gets the same
    claim back, with the same fencing token; any other worker is refused. One answer
    per request, in order: the attempt, or the domain error for that request alone."""
    rows = await _locked(session, [r.attempt_id for r in requests], lock=True)
    now = utcnow()
    answers: list[TaskAttempt | Exception] = []
    for r in requests:
        attempt = rows.get(r.attempt_id)
        if attempt is None:
            answers.append(NotFound(f"attempt {r.attempt_id} does not exist"))
        elif attempt.state == QUEUED:
            check_move(attempt.id, attempt.state, RUNNING)
            attempt.state = RUNNING
            attempt.fencing_token = str(uuid.uuid4())  # 122 bits from os.urandom
            attempt.worker_id = r.worker_id
            attempt.hostname = r.hostname
            attempt.claimed_at = attempt.heartbeat_at = now
            answers.append(attempt)
        elif attempt.state == RUNNING and attempt.worker_id == r.worker_id:
            answers.append(attempt)
        elif attempt.state == RUNNING:
            answers.append(Conflict(f"attempt {r.attempt_id} is claimed by another worker"))
        else:
            answers.append(Conflict(f"attempt {r.attempt_id} is already {attempt.state}"))
    # The started event waits for the task's process (see renew_leases): it carries the pid.
    await session.flush()
    return answers


async def claim(
    session: AsyncSession, attempt_id: str, *, worker_id: str, hostname: str
) -> TaskAttempt:
    """One claim alone (claim_many's rules)."""
    return _only(await claim_many(session, [ClaimRequest(attempt_id, worker_id, hostname)]))


async def renew_lease(session: AsyncSession, attempt_id: str, token: str, pid: int) -> bool:
    """One renewal alone (renew_leases' rules)."""
    return _only(await renew_leases(session, [LeaseRenewal(attempt_id, token, pid)]))


async def finish(
    session: AsyncSession,
    attempt_id: str,
    token: str,
    *,
    outcome: str,
    exit_code: int | None,
    reason: str,
    pid: int | None,
) -> None:
    """One report alone (finish_many's rules)."""
    _only(await finish_many(session, [Report(attempt_id, token, outcome, exit_code, reason, pid)]))


def _only(answers: list[Any]) -> Any:
    (answer,) = answers
    if isinstance(answer, Exception):
        raise answer
    return answer


async def owned_attempt(session: AsyncSession, attempt_id: str, token: str) -> TaskAttempt:
    attempt = await session.get(TaskAttempt, attempt_id)
    return _owned(attempt, attempt_id, token)


def _owned(attempt: TaskAttempt | None, attempt_id: str, token: str) -> TaskAttempt:
    """The attempt, if `token` is the one its claim handed out: a call for an attempt the
    caller did not claim (or whose claim was given away) changes nothing."""
    if attempt is None:
        raise NotFound(f"attempt {attempt_id} does not exist")
    held = attempt.fencing_token or ""
    if not token or not held or not hmac.compare_digest(held.encode(), token.encode()):
        raise PermissionDenied(
            f"attempt {attempt_id} is not held by this caller: the token does not match "
            "the one its claim handed out"
        )
    return attempt


async def renew_leases(
    session: AsyncSession, renewals: Sequence[LeaseRenewal]
) -> list[bool | Exception]:
    """Per renewal, whether the worker should keep running the task. The first renewal
    that names the task's pid is its start: the started event goes to the scheduler then,
    with the host and pid, as Airflow shows them on a running task instance."""
    rows = await _locked(session, [r.attempt_id for r in renewals], lock=False, lean=True)
    now = utcnow()
    answers: list[bool | Exception] = []
    for r in renewals:
        try:
            attempt = _owned(rows.get(r.attempt_id), r.attempt_id, r.token)
        except (NotFound, Conflict, PermissionDenied) as exc:
            answers.append(exc)
            continue
        if attempt.state != RUNNING or attempt.reason:  # over, or asked to stop (stopping.py)
            answers.append(False)
            continue
        attempt.heartbeat_at = now
        if r.pid and attempt.pid is None:
            attempt.pid = r.pid
            outbox.record_event(session, attempt, finished=False)
        answers.append(True)
    await session.flush()
    return answers


async def finish_many(session: AsyncSession, reports: Sequence[Report]) -> list[None | Exception]:
    """Ends each reported attempt once. The same report again (the worker did not hear
    the first answer) is harmless; a report on an attempt that ended otherwise, or from
    a holder of another claim, is refused, that report alone."""
    rows = await _locked(session, [r.attempt_id for r in reports], lock=True, lean=True)
    now = utcnow()
    answers: list[None | Exception] = []
    for r in reports:
        try:
            check_move(r.attempt_id, RUNNING, r.outcome)
            attempt = _owned(rows.get(r.attempt_id), r.attempt_id, r.token)
        except (NotFound, Conflict, PermissionDenied) as exc:
            answers.append(exc)
            continue
        if attempt.state == r.outcome:
            answers.append(None)  # the same report again: the worker missed our answer
            continue
        if attempt.state != RUNNING:
            answers.append(Conflict(f"attempt {r.attempt_id} already ended as {attempt.state}"))
            continue
        attempt.state = r.outcome
        attempt.exit_code = r.exit_code
        attempt.reason = r.reason or None
        attempt.ended_at = now
        if r.pid:
            attempt.pid = r.pid
        outbox.record_event(session, attempt, finished=True)
        answers.append(None)
    await session.flush()
    return answers


async def fail_expired_leases(session: AsyncSession, *, timeout: float) -> int:
    """Fails running attempts whose lease was not renewed for `timeout` seconds; the
    scheduler retries them. The worker gave up on them itself before this (see
    docs/architecture.md, Leases)."""
    cutoff = utcnow() - timedelta(seconds=timeout)
    result = await session.execute(
        select(TaskAttempt)
        .where(TaskAttempt.state == RUNNING, TaskAttempt.heartbeat_at < cutoff)
        .with_for_update(skip_locked=True)
    )
    lost = list(result.scalars())
    _fail_lost(
        session,
        lost,
        lambda a: f"worker {a.worker_id} did not renew its lease for {timeout:g}s",
    )
    await session.flush()
    return len(lost)


async def release_held_by(session: AsyncSession, worker_id: str) -> int:
    """Fails the running attempts a worker id holds, for the scheduler to retry at once:
    the worker restarted, and its previous incarnation's tasks died with it. Failing
    them fences that incarnation too: renewals are answered keep_running=false and
    reports refused."""
    result = await session.execute(
        select(TaskAttempt)
        .where(TaskAttempt.state == RUNNING, TaskAttempt.worker_id == worker_id)
        .order_by(TaskAttempt.id)
        .with_for_update()
    )
    held = list(result.scalars())
    _fail_lost(session, held, lambda a: f"worker {a.worker_id} restarted while running this try")
    await session.flush()
    return len(held)


def _fail_lost(
    session: AsyncSession, lost: list[TaskAttempt], reason: Callable[[TaskAttempt], str]
) -> None:
    now = utcnow()
    for attempt in lost:
        check_move(attempt.id, attempt.state, FAILED)
        attempt.state = FAILED
        attempt.reason = reason(attempt)
        attempt.ended_at = now
        # The worker can no longer say why the try ended; its log must.
        task_log_lines.add_note(session, attempt.id, f"[tradewind] {attempt.reason}")
        outbox.record_event(session, attempt, finished=True)


async def mark_published(session: AsyncSession, ids: list[str]) -> None:
    """The broker confirmed these attempts' messages now: the republish clock restarts."""
    await session.execute(
        update(TaskAttempt)
        .where(TaskAttempt.id.in_(ids), TaskAttempt.state == QUEUED)
        .values(published_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def unclaimed(
    session: AsyncSession, *, published_before: datetime | None, limit: int
) -> list[TaskAttempt]:
    """Queued attempts nobody claimed although their message went out (or should have)
    before `published_before`, longest waiting first; all queued attempts when it is
    None (after a restart of the in-process broker, no message survived)."""
    query = select(TaskAttempt).where(TaskAttempt.state == QUEUED)
    last_sent = func.coalesce(TaskAttempt.published_at, TaskAttempt.created_at)
    if published_before is not None:
        query = query.where(
            or_(
                TaskAttempt.published_at < published_before,
                TaskAttempt.published_at.is_(None) & (TaskAttempt.created_at < published_before),
            )
        )
    result = await session.execute(query.order_by(last_sent, TaskAttempt.id).limit(limit))
    return list(result.scalars())


async def queued_count(session: AsyncSession, queue: str) -> int:
    return (
        await session.scalar(
            select(func.count())
            .select_from(TaskAttempt)
            .where(TaskAttempt.state == QUEUED, TaskAttempt.queue == queue)
        )
        or 0
    )
