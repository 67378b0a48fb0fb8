"""The dispatcher's HTTP surface: readiness (database, broker, scheduler), metrics, and
read-only views of the workers, the attempts in flight and the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, Query
from prometheus_client import CollectorRegistry, Gauge
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from tradewind_core.broker import Broker
from tradewind_core.db import Database
from tradewind_core.service_http import (
    ReadinessCheck,
    create_service_app,
    database_check,
    peer_check,
)
from tradewind_core.timeutil import as_utc, utcnow
from tradewind_dispatcher import status as dispatcher_status
from tradewind_dispatcher.attempt_states import QUEUED, RUNNING
from tradewind_dispatcher.models import SchedulerOutbox, TaskAttempt, Worker
from tradewind_dispatcher.settings import DispatcherSettings

DESCRIPTION = """The dispatcher's own surface: probes, Prometheus metrics, and what it holds
now (workers, attempts queued and running, events waiting for the scheduler). Read-only."""


class WorkerView(BaseModel):
    worker_id: str = Field(examples=["host-a-4242"])
    hostname: str = Field(examples=["host-a"])
    queues: list[str] = Field(examples=[["default"]])
    slots: int = Field(description="Tasks it runs at once.", examples=[16])
    slots_in_use: int = Field(description="Tasks it ran at its last heartbeat.", examples=[3])
    alive: bool = Field(description="Heard from within the worker timeout.", examples=[True])
    last_heartbeat: datetime | None = Field(examples=["2026-01-01T03:00:05Z"])


class WorkerList(BaseModel):
    workers: list[WorkerView]
    total_entries: int = Field(examples=[2])


class AttemptView(BaseModel):
    attempt_id: str = Field(examples=["7d0c3c59-9b7e-4bd4-9b39-0c1f8f5d2a11"])
    dag_id: str = Field(examples=["nightly_sales"])
    dag_run_id: str = Field(examples=["scheduled__2026-01-01T03:00:00+00:00"])
    task_id: str = Field(examples=["extract"])
    map_index: int = Field(examples=[-1])
    try_number: int = Field(examples=[1])
    state: str = Field(description="`queued` or `running`.", examples=["running"])
    queue: str = Field(examples=["default"])
    worker_id: str | None = Field(examples=["host-a-4242"])
    created_at: datetime | None = Field(examples=["2026-01-01T03:00:00Z"])
    published_at: datetime | None = Field(
        description="When the broker confirmed its message (null: not yet).",
        examples=["2026-01-01T03:00:00Z"],
    )
    heartbeat_at: datetime | None = Field(examples=["2026-01-01T03:00:04Z"])


class AttemptList(BaseModel):
    attempts: list[AttemptView]
    total_entries: int = Field(examples=[1])


class OutboxView(BaseModel):
    scheduler_events: int = Field(
        description="Task events recorded but not yet delivered to the scheduler.", examples=[0]
    )
    oldest_scheduler_event_at: datetime | None = Field(examples=[None])
    unpublished_attempts: int = Field(
        description="Queued attempts whose message the broker has not confirmed yet.",
        examples=[0],
    )


def _surface_router(db: Database, settings: DispatcherSettings) -> APIRouter:
    router = APIRouter(tags=["Introspection"])

    @router.get(
        "/workers",
        operation_id="list_workers",
        summary="Workers this dispatcher knows",
        description="Every worker that has heartbeated, most recently heard first.",
        response_model=WorkerList,
    )
    async def workers(
        limit: Annotated[int, Query(ge=1, le=1000, description="Most workers returned.")] = 100,
    ) -> WorkerList:
        cutoff = utcnow() - timedelta(seconds=settings.dispatcher_worker_timeout)
        async with db.reader() as session:
            total = await session.scalar(select(func.count()).select_from(Worker)) or 0
            rows = await session.scalars(
                select(Worker).order_by(Worker.last_heartbeat.desc(), Worker.id).limit(limit)  # type: ignore[union-attr]
            )
            views = [
                WorkerView(
                    worker_id=w.id,
                    hostname=w.hostname,
                    queues=list(w.queues),
                    slots=w.concurrency,
                    slots_in_use=w.running,
                    alive=w.last_heartbeat is not None and as_utc(w.last_heartbeat) >= cutoff,
                    last_heartbeat=as_utc(w.last_heartbeat),
                )
                for w in rows
            ]
        return WorkerList(workers=views, total_entries=total)

    @router.get(
        "/attempts",
        operation_id="list_attempts",
        summary="Attempts queued and running",
        description="Attempts in flight, oldest first; `state` narrows to one of the two.",
        response_model=AttemptList,
    )
    async def attempts(
        state: Annotated[
            Literal["queued", "running"] | None, Query(description="Only this state.")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=1000, description="Most attempts returned.")] = 100,
    ) -> AttemptList:
        states = (state,) if state else (QUEUED, RUNNING)
        where = TaskAttempt.state.in_(states)  # type: ignore[attr-defined]
        async with db.reader() as session:
            total = await session.scalar(select(func.count()).select_from(TaskAttempt).where(where))
            rows = await session.scalars(
                select(TaskAttempt)
                .where(where)
                .order_by(TaskAttempt.created_at, TaskAttempt.id)
                .limit(limit)
            )
            views = [
                AttemptView(
                    attempt_id=a.id,
                    dag_id=a.dag_id,
                    dag_run_id=a.run_id,
                    task_id=a.task_id,
                    map_index=a.map_index,
                    try_number=a.try_number,
                    state=a.state,
                    queue=a.queue,
                    worker_id=a.worker_id,
                    created_at=as_utc(a.created_at),
                    published_at=as_utc(a.published_at),
                    heartbeat_at=as_utc(a.heartbeat_at),
                )
                for a in rows
            ]
        return AttemptList(attempts=views, total_entries=total or 0)

    @router.get(
        "/outbox",
        operation_id="get_outbox",
        summary="What waits to leave the dispatcher",
        description="Events recorded for the scheduler and attempts not yet confirmed by "
        "the broker: both are delivered by background loops, so a growing number means "
        "one of them is stuck.",
        response_model=OutboxView,
    )
    async def outbox() -> OutboxView:
        return await _outbox(db)

    return router


async def _outbox(db: Database) -> OutboxView:
    async with db.reader() as session:
        events, oldest = (
            await session.execute(
                select(func.count(), func.min(SchedulerOutbox.created_at)).select_from(
                    SchedulerOutbox
                )
            )
        ).one()
        unpublished = await session.scalar(
            select(func.count())
            .select_from(TaskAttempt)
            .where(TaskAttempt.state == QUEUED, TaskAttempt.published_at.is_(None))  # type: ignore[union-attr]
        )
    return OutboxView(
        scheduler_events=events or 0,
        oldest_scheduler_event_at=as_utc(oldest),
        unpublished_attempts=unpublished or 0,
    )


def create_dispatcher_app(
    db: Database, broker: Broker | None, settings: DispatcherSettings
) -> FastAPI:
    """`broker` None: the document only (no I/O), as `make openapi` dumps it."""
    registry = CollectorRegistry()
    gauges = {
        name: Gauge(f"tradewind_dispatcher_{name}", text, registry=registry)
        for name, text in {
            "live_workers": "Workers heard from within the worker timeout.",
            "worker_slots": "Slots of the live workers.",
            "worker_slots_in_use": "Slots in use on the live workers.",
            "queued_attempts": "Attempts published and not yet claimed.",
            "running_attempts": "Attempts claimed by a worker and not finished.",
            "outbox_scheduler_events": "Task events not yet delivered to the scheduler.",
            "outbox_unpublished_attempts": "Queued attempts the broker has not confirmed.",
        }.items()
    }

    async def refresh() -> None:
        async with db.reader() as session:
            now = await dispatcher_status.status(
                session, worker_timeout=settings.dispatcher_worker_timeout
            )
        gauges["live_workers"].set(now["live_workers"])
        gauges["worker_slots"].set(now["worker_slots"])
        gauges["worker_slots_in_use"].set(now["worker_slots_in_use"])
        gauges["queued_attempts"].set(now["queued"])
        gauges["running_attempts"].set(now["running"])
        outbox = await _outbox(db)
        gauges["outbox_scheduler_events"].set(outbox.scheduler_events)
        gauges["outbox_unpublished_attempts"].set(outbox.unpublished_attempts)

    async def broker_connected() -> None:
        assert broker is not None
        broker.check_connected()

    return create_service_app(
        service="dispatcher",
        description=DESCRIPTION,
        checks=[
            database_check(db),
            ReadinessCheck("broker", broker_connected),
            peer_check("scheduler", settings.scheduler_address),
        ],
        registry=registry,
        routers=[_surface_router(db, settings)],
        before_metrics=refresh,
    )
