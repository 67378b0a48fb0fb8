"""The worker's HTTP surface: readiness (broker, dispatcher, not draining), its
Prometheus metrics, and read-only views of its slots and the tasks it runs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field

from tradewind_core.broker import Broker
from tradewind_core.service_http import ReadinessCheck, create_service_app, peer_check
from tradewind_worker.execution import TaskExecutor
from tradewind_worker.metrics import WorkerMetrics
from tradewind_worker.settings import WorkerSettings

DESCRIPTION = """A worker's own surface: probes, Prometheus metrics, and what it holds now
(its slots and the tasks it runs). Read-only."""


class SlotsView(BaseModel):
    worker_id: str = Field(examples=["host-a-4242"])
    queues: list[str] = Field(examples=[["default"]])
    slots: int = Field(description="Tasks this worker runs at once.", examples=[16])
    slots_in_use: int = Field(description="Slots taken now.", examples=[3])
    slots_free: int = Field(examples=[13])
    draining: bool = Field(
        description="Shutting down: takes nothing new, lets running tasks finish.",
        examples=[False],
    )


class RunningTaskView(BaseModel):
    attempt_id: str = Field(examples=["7d0c3c59-9b7e-4bd4-9b39-0c1f8f5d2a11"])
    dag_id: str = Field(examples=["nightly_sales"])
    dag_run_id: str = Field(examples=["manual__2026-01-01T03:00:00+00:00"])
    task_id: str = Field(examples=["extract"])
    try_number: int = Field(examples=[1])
    operator: str = Field(examples=["bash"])
    pid: int = Field(description="The task's process (0: not started yet).", examples=[4321])
    started_at: datetime = Field(examples=["2026-01-01T03:00:01Z"])


class RunningTaskList(BaseModel):
    tasks: list[RunningTaskView]
    total_entries: int = Field(examples=[1])


def create_worker_app(
    *,
    settings: WorkerSettings,
    broker: Broker | None,
    executor: TaskExecutor | None,
    metrics: WorkerMetrics,
    slots_in_use: Callable[[], int],
    stop: asyncio.Event,
) -> FastAPI:
    """`broker` and `executor` None: the document only, as `make openapi` dumps it."""
    router = APIRouter(tags=["Introspection"])

    @router.get(
        "/slots",
        operation_id="get_slots",
        summary="The worker's slots",
        description="How many tasks this worker runs at once, and how many it runs now.",
        response_model=SlotsView,
    )
    async def slots() -> SlotsView:
        in_use = slots_in_use()
        return SlotsView(
            worker_id=settings.worker_id,
            queues=settings.worker_queues,
            slots=settings.worker_concurrency,
            slots_in_use=in_use,
            slots_free=settings.worker_concurrency - in_use,
            draining=stop.is_set(),
        )

    @router.get(
        "/tasks",
        operation_id="list_running_tasks",
        summary="Tasks running here",
        description="The tasks this worker runs now, oldest first.",
        response_model=RunningTaskList,
    )
    async def tasks() -> RunningTaskList:
        held = sorted(executor.in_hand.values(), key=lambda t: t.started_at) if executor else []
        views = [
            RunningTaskView(
                attempt_id=t.attempt_id,
                dag_id=t.dag_id,
                dag_run_id=t.dag_run_id,
                task_id=t.task_id,
                try_number=t.try_number,
                operator=t.operator,
                pid=t.handle.pid,
                started_at=t.started_at,
            )
            for t in held
        ]
        return RunningTaskList(tasks=views, total_entries=len(views))

    async def broker_connected() -> None:
        assert broker is not None
        broker.check_connected()

    async def not_draining() -> None:
        if stop.is_set():
            raise RuntimeError("draining: shutting down, taking no new tasks")

    return create_service_app(
        service="worker",
        description=DESCRIPTION,
        checks=[
            ReadinessCheck("broker", broker_connected),
            peer_check("dispatcher", settings.dispatcher_address),
            ReadinessCheck("accepting_tasks", not_draining),
        ],
        registry=metrics.registry,
        routers=[router],
    )
