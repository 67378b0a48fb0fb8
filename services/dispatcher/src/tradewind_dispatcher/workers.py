"""Workers as the dispatcher knows them: who they are, which queues they serve, how busy
they are, and when they last said so.

A worker id names a worker across restarts; each start is a new incarnation. The first
heartbeat of a new incarnation releases what the previous one held (attempts.py,
release_held_by): a killed worker's tasks are retried as soon as it is back, not after
the lease timeout. Two live processes sharing one worker id would take each other's
attempts away; that is a misconfiguration, and is logged."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tradewind_core.logging import get_logger
from tradewind_core.timeutil import utcnow
from tradewind_dispatcher import attempts
from tradewind_dispatcher.models import Worker

log = get_logger(__name__)


async def record_heartbeat(
    session: AsyncSession,
    *,
    worker_id: str,
    hostname: str,
    queues: list[str],
    concurrency: int,
    running: int,
    incarnation: str = "",
) -> int:
    """Returns how many attempts of an earlier incarnation were released."""
    now = utcnow()
    worker = await session.get(Worker, worker_id, with_for_update=True)
    released = 0
    if worker is None:
        session.add(
            Worker(
                id=worker_id,
                hostname=hostname,
                queues=queues,
                concurrency=concurrency,
                running=running,
                incarnation=incarnation or None,
                first_seen=now,
                last_heartbeat=now,
            )
        )
    else:
        worker.hostname, worker.queues = hostname, queues
        worker.concurrency, worker.running = concurrency, running
        worker.last_heartbeat = now
        if incarnation and worker.incarnation != incarnation:
            released = await attempts.release_held_by(session, worker_id)
            if released:
                log.warning(
                    "worker restarted; the tries its previous process held are failed",
                    worker_id=worker_id,
                    released=released,
                )
            worker.incarnation = incarnation
    return released
