"""The worker registry as people see it: each worker's queues and slots, the attempts it
holds now, and when it was last heard from."""

from __future__ import annotations

from datetime import timedelta

import grpc
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind.dispatch.v1 import workers_pb2, workers_pb2_grpc
from tradewind_core.db import Database
from tradewind_core.errors import InvalidArgument
from tradewind_core.grpc_server import maps_domain_errors
from tradewind_core.timeutil import as_utc, to_timestamp, utcnow
from tradewind_dispatcher.models import TaskAttempt, Worker


async def list_workers(
    session: AsyncSession, *, limit: int, offset: int, worker_timeout: float
) -> tuple[list[workers_pb2.WorkerInfo], int]:
    total = await session.scalar(select(func.count()).select_from(Worker))
    workers = list(
        await session.scalars(select(Worker).order_by(Worker.id).limit(limit).offset(offset))
    )
    held = await session.execute(
        select(TaskAttempt)
        .where(TaskAttempt.state == "running", TaskAttempt.worker_id.in_([w.id for w in workers]))
        .order_by(TaskAttempt.claimed_at)
    )
    by_worker: dict[str, list[TaskAttempt]] = {}
    for attempt in held.scalars():
        by_worker.setdefault(attempt.worker_id or "", []).append(attempt)
    cutoff = utcnow() - timedelta(seconds=worker_timeout)
    infos = []
    for worker in workers:
        running = by_worker.get(worker.id, [])
        infos.append(
            workers_pb2.WorkerInfo(
                worker_id=worker.id,
                hostname=worker.hostname,
                queues=worker.queues,
                slots=worker.concurrency,
                slots_in_use=len(running),
                running=[
                    workers_pb2.RunningTaskInstance(
                        dag_id=a.dag_id,
                        dag_run_id=a.run_id,
                        task_id=a.task_id,
                        map_index=a.map_index,
                        try_number=a.try_number,
                        pid=a.pid or 0,
                        start_date=to_timestamp(a.claimed_at),
                    )
                    for a in running
                ],
                first_seen=to_timestamp(worker.first_seen),
                last_heartbeat=to_timestamp(worker.last_heartbeat),
                alive=as_utc(worker.last_heartbeat) >= cutoff,
            )
        )
    return infos, total or 0


class WorkerRegistryServicer(workers_pb2_grpc.WorkerRegistryServiceServicer):
    def __init__(self, db: Database, *, worker_timeout: float) -> None:
        self._db = db
        self._worker_timeout = worker_timeout

    @maps_domain_errors
    async def ListWorkers(self, request, context: grpc.aio.ServicerContext):
        if not 0 <= request.limit <= 1000 or request.offset < 0:
            raise InvalidArgument("limit must be 0..1000 and offset >= 0")
        async with self._db.reader() as session:
            workers, total = await list_workers(
                session,
                limit=request.limit or 100,
                offset=request.offset,
                worker_timeout=self._worker_timeout,
            )
        return workers_pb2.ListWorkersResponse(workers=workers, total_entries=total)
