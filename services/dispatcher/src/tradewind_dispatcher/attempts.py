"""Task attempts: recorded when dispatched, claimed by exactly one worker, finished once.

Every change that the scheduler must hear of writes an outbox row in the same
transaction (see forwarder.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind_core.errors import Conflict, NotFound
from tradewind_core.timeutil import as_utc, utcnow
from tradewind_dispatcher.models import SchedulerOutbox, TaskAttempt, TaskLog, Worker

QUEUED, RUNNING = "queued", "running"
OUTCOMES = ("success", "failed", "skipped")


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


async def claim(
    session: AsyncSession, attempt_id: str, *, worker_id: str, hostname: str
) -> TaskAttempt:
    now = utcnow()
    token = str(uuid.uuid4())
    # One conditional UPDATE: of two workers holding copies of the message, one wins.
    result = await session.execute(
        update(TaskAttempt)
        .where(TaskAttempt.id == attempt_id, TaskAttempt.state == QUEUED)
        .values(
            state=RUNNING,
            fencing_token=token,
            worker_id=worker_id,
            hostname=hostname,
            claimed_at=now,
            heartbeat_at=now,
        )
        .returning(TaskAttempt)
        .execution_options(synchronize_session=False)
    )
    attempt = result.scalar_one_or_none()
    if attempt is None:
        current = await session.get(TaskAttempt, attempt_id)
        if current is None:
            raise NotFound(f"attempt {attempt_id} does not exist")
        raise Conflict(f"attempt {attempt_id} is already {current.state}")
    _outbox(session, attempt, finished=False)
    await session.flush()
    return attempt


async def _owned(session: AsyncSession, attempt_id: str, token: str) -> TaskAttempt:
    attempt = await session.get(TaskAttempt, attempt_id)
    if attempt is None:
        raise NotFound(f"attempt {attempt_id} does not exist")
    if not token or attempt.fencing_token != token:
        raise Conflict(f"attempt {attempt_id} is held by another claim")
    return attempt


async def heartbeat(session: AsyncSession, attempt_id: str, token: str, pid: int) -> bool:
    """Returns whether the worker should keep running the task."""
    attempt = await _owned(session, attempt_id, token)
    if attempt.state != RUNNING:
        return False
    attempt.heartbeat_at = utcnow()
    attempt.pid = pid or attempt.pid
    return True


async def append_log(session: AsyncSession, attempt_id: str, token: str, text: str) -> None:
    await _owned(session, attempt_id, token)
    session.add(TaskLog(attempt_id=attempt_id, text=text, created_at=utcnow()))


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
    changes: dict[str, Any] = {
        "state": outcome,
        "exit_code": exit_code,
        "reason": reason or None,
        "ended_at": utcnow(),
    }
    if pid:
        changes["pid"] = pid
    # The usual case in one conditional UPDATE; the rest is read only to say what's wrong.
    result = await session.execute(
        update(TaskAttempt)
        .where(
            TaskAttempt.id == attempt_id,
            TaskAttempt.fencing_token == token,
            TaskAttempt.state == RUNNING,
        )
        .values(**changes)
        .returning(TaskAttempt)
        .execution_options(synchronize_session=False)
    )
    attempt = result.scalar_one_or_none()
    if attempt is None:
        attempt = await _owned(session, attempt_id, token)
        if attempt.state == outcome:
            return  # the same report again: the worker did not hear our first answer
        raise Conflict(f"attempt {attempt_id} already ended as {attempt.state}")
    _outbox(session, attempt, finished=True)
    await session.flush()


async def fail_lost_attempts(session: AsyncSession, *, timeout: float) -> int:
    """Fails running attempts whose worker stopped heartbeating; the scheduler retries them."""
    cutoff = utcnow() - timedelta(seconds=timeout)
    result = await session.execute(
        select(TaskAttempt)
        .where(TaskAttempt.state == RUNNING, TaskAttempt.heartbeat_at < cutoff)
        .with_for_update(skip_locked=True)
    )
    lost = list(result.scalars())
    for attempt in lost:
        attempt.state = "failed"
        attempt.reason = f"worker {attempt.worker_id} stopped heartbeating for {timeout:g}s"
        attempt.ended_at = utcnow()
        # The worker can no longer say why the try ended; its log must.
        session.add(
            TaskLog(
                attempt_id=attempt.id, text=f"[tradewind] {attempt.reason}\n", created_at=utcnow()
            )
        )
        _outbox(session, attempt, finished=True)
    await session.flush()
    return len(lost)


async def mark_published(session: AsyncSession, ids: list[str]) -> None:
    await session.execute(
        update(TaskAttempt)
        .where(TaskAttempt.id.in_(ids), TaskAttempt.published_at.is_(None))
        .values(published_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def unpublished(
    session: AsyncSession, *, created_before: datetime | None
) -> list[TaskAttempt]:
    """Queued attempts whose message the broker never confirmed (all queued attempts when
    `created_before` is None: after a restart of the in-process broker, none survived)."""
    query = select(TaskAttempt).where(TaskAttempt.state == QUEUED)
    if created_before is not None:
        query = query.where(
            TaskAttempt.published_at.is_(None), TaskAttempt.created_at < created_before
        )
    result = await session.execute(query.order_by(TaskAttempt.created_at).limit(1000))
    return list(result.scalars())


def new_outbox_rows(session: AsyncSession) -> list[SchedulerOutbox]:
    """The outbox rows this session wrote: after the commit they can go to the
    scheduler straight from memory, without reading them back."""
    return list(session.info.get("outbox", []))


def _outbox(session: AsyncSession, attempt: TaskAttempt, *, finished: bool) -> None:
    row = SchedulerOutbox(
        event={
            "task_instance_id": attempt.task_instance_id,
            "try_number": attempt.try_number,
            "finished": finished,
            "state": attempt.state if finished else "",
            "start_date": _iso(attempt.claimed_at),
            "end_date": _iso(attempt.ended_at) if finished else None,
            "hostname": attempt.hostname or "",
            "pid": attempt.pid or 0,
            "reason": attempt.reason or "",
        },
        created_at=utcnow(),
    )
    session.add(row)
    session.info.setdefault("outbox", []).append(row)


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value else None


async def pending_events(session: AsyncSession, limit: int) -> list[SchedulerOutbox]:
    result = await session.execute(
        select(SchedulerOutbox).order_by(SchedulerOutbox.id).limit(limit)
    )
    return list(result.scalars())


async def delete_events(session: AsyncSession, ids: list[int]) -> None:
    await session.execute(delete(SchedulerOutbox).where(SchedulerOutbox.id.in_(ids)))


async def record_worker_heartbeat(
    session: AsyncSession,
    *,
    worker_id: str,
    hostname: str,
    queues: list[str],
    concurrency: int,
    running: int,
) -> None:
    now = utcnow()
    worker = await session.get(Worker, worker_id)
    if worker is None:
        session.add(
            Worker(
                id=worker_id,
                hostname=hostname,
                queues=queues,
                concurrency=concurrency,
                running=running,
                first_seen=now,
                last_heartbeat=now,
            )
        )
    else:
        worker.hostname, worker.queues = hostname, queues
        worker.concurrency, worker.running = concurrency, running
        worker.last_heartbeat = now


async def status(session: AsyncSession, *, worker_timeout: float) -> dict[str, Any]:
    cutoff = utcnow() - timedelta(seconds=worker_timeout)
    live = await session.scalar(
        select(func.count()).select_from(Worker).where(Worker.last_heartbeat >= cutoff)
    )
    latest = await session.scalar(select(func.max(Worker.last_heartbeat)))
    rows = await session.execute(
        select(TaskAttempt.state, func.count())
        .where(TaskAttempt.state.in_((QUEUED, RUNNING)))
        .group_by(TaskAttempt.state)
    )
    counts = {state: n for state, n in rows}
    return {
        "live_workers": live or 0,
        "latest_worker_heartbeat": as_utc(latest),
        "queued": counts.get(QUEUED, 0),
        "running": counts.get(RUNNING, 0),
    }


async def task_log(session: AsyncSession, task_instance_id: str, try_number: int) -> str | None:
    attempt_id = await session.scalar(
        select(TaskAttempt.id).where(
            TaskAttempt.task_instance_id == task_instance_id, TaskAttempt.try_number == try_number
        )
    )
    if attempt_id is None:
        return None
    result = await session.execute(
        select(TaskLog.text).where(TaskLog.attempt_id == attempt_id).order_by(TaskLog.id)
    )
    return "".join(result.scalars())
