"""The scheduler's HTTP surface: readiness (database, dispatcher, a recent sweep),
metrics, and read-only views of the runs in flight and the scheduling loop's timings."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, Query
from prometheus_client import CollectorRegistry, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from tradewind_core.db import Database
from tradewind_core.service_http import (
    ReadinessCheck,
    create_service_app,
    database_check,
    peer_check,
)
from tradewind_core.timeutil import as_utc, utcnow
from tradewind_scheduler.models import DagRun
from tradewind_scheduler.scheduling import SchedulingLoop
from tradewind_scheduler.settings import SchedulerSettings

DESCRIPTION = """The scheduler's own surface: probes, Prometheus metrics, and what it holds
now (runs in flight, the scheduling loop's timings). Read-only."""
IN_FLIGHT = ("queued", "running")
STEP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
# However short the sweep interval, a loop is stuck only after this long without one.
MIN_STALL_S = 30.0


class RunView(BaseModel):
    dag_id: str = Field(examples=["nightly_sales"])
    dag_run_id: str = Field(examples=["scheduled__2026-01-01T03:00:00+00:00"])
    state: str = Field(description="`queued` or `running`.", examples=["running"])
    run_type: str = Field(examples=["scheduled"])
    dag_version_id: str = Field(description="The DAG version the run is pinned to.")
    logical_date: datetime | None = Field(examples=["2026-01-01T03:00:00Z"])
    queued_at: datetime | None = Field(examples=["2026-01-01T03:00:00Z"])
    start_date: datetime | None = Field(examples=["2026-01-01T03:00:01Z"])


class RunList(BaseModel):
    dag_runs: list[RunView]
    total_entries: int = Field(examples=[1])


class LoopView(BaseModel):
    steps: int = Field(description="Steps since the scheduler started.", examples=[1200])
    failed_steps: int = Field(description="Steps that failed and were retried.", examples=[0])
    total_step_seconds: float = Field(examples=[3.5])
    mean_step_seconds: float = Field(examples=[0.003])
    last_step_seconds: float = Field(examples=[0.002])
    max_step_seconds: float = Field(examples=[0.2])
    last_step_at: datetime | None = Field(examples=["2026-01-01T03:00:05Z"])
    last_sweep_at: datetime | None = Field(
        description="The last periodic sweep that succeeded.", examples=["2026-01-01T03:00:05Z"]
    )
    sweep_interval_seconds: float = Field(examples=[5.0])
    task_instances_decided: int = Field(examples=[400])
    task_instances_queued: int = Field(examples=[200])
    inbox_depth: int = Field(description="Work waiting for the next step.", examples=[0])
    retry_timers: int = Field(description="Retries waiting for their time.", examples=[0])


def _loop_view(loop: SchedulingLoop, settings: SchedulerSettings) -> LoopView:
    stats = loop.stats
    return LoopView(
        steps=stats.steps,
        failed_steps=stats.failed_steps,
        total_step_seconds=stats.seconds,
        mean_step_seconds=stats.seconds / stats.steps if stats.steps else 0.0,
        last_step_seconds=stats.last_seconds,
        max_step_seconds=stats.max_seconds,
        last_step_at=stats.last_step_at,
        last_sweep_at=stats.last_sweep_at,
        sweep_interval_seconds=settings.scheduler_sweep_interval,
        task_instances_decided=stats.decided,
        task_instances_queued=stats.queued,
        inbox_depth=loop.inbox_depth,
        retry_timers=loop.retry_timers,
    )


def _surface_router(db: Database, loop: SchedulingLoop, settings: SchedulerSettings) -> APIRouter:
    router = APIRouter(tags=["Introspection"])

    @router.get(
        "/runs",
        operation_id="list_runs_in_flight",
        summary="Runs in flight",
        description="Queued and running DAG runs, oldest first; `state` narrows to one.",
        response_model=RunList,
    )
    async def runs(
        state: Annotated[
            Literal["queued", "running"] | None, Query(description="Only this state.")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=1000, description="Most runs returned.")] = 100,
    ) -> RunList:
        where = DagRun.state.in_((state,) if state else IN_FLIGHT)  # type: ignore[attr-defined]
        async with db.reader() as session:
            total = await session.scalar(select(func.count()).select_from(DagRun).where(where))
            rows = await session.scalars(
                select(DagRun).where(where).order_by(DagRun.id).limit(limit)
            )
            views = [
                RunView(
                    dag_id=r.dag_id,
                    dag_run_id=r.run_id,
                    state=r.state,
                    run_type=r.run_type,
                    dag_version_id=r.dag_version_id,
                    logical_date=as_utc(r.logical_date),
                    queued_at=as_utc(r.queued_at),
                    start_date=as_utc(r.start_date),
                )
                for r in rows
            ]
        return RunList(dag_runs=views, total_entries=total or 0)

    @router.get(
        "/loop",
        operation_id="get_scheduling_loop",
        summary="The scheduling loop's timings",
        description="How many steps the loop took, how long they took, and when it last "
        "swept: a step that takes long or a sweep long past says where time goes.",
        response_model=LoopView,
    )
    async def loop_view() -> LoopView:
        return _loop_view(loop, settings)

    return router


class _LoopCounters(Collector):
    """The loop's own running totals, read at scrape time (no second count to keep)."""

    def __init__(self, loop: SchedulingLoop) -> None:
        self._loop = loop

    def collect(self):  # noqa: ANN201
        stats = self._loop.stats
        yield CounterMetricFamily(
            "tradewind_scheduler_task_instances_decided",
            "Task instances the loop moved to a final state or settled.",
            value=stats.decided,
        )
        yield CounterMetricFamily(
            "tradewind_scheduler_task_instances_queued",
            "Task instances the loop queued for the dispatcher.",
            value=stats.queued,
        )
        yield CounterMetricFamily(
            "tradewind_scheduler_failed_steps",
            "Scheduling steps that failed (their work is retried by the sweep).",
            value=stats.failed_steps,
        )


def create_scheduler_app(
    db: Database, loop: SchedulingLoop, settings: SchedulerSettings
) -> FastAPI:
    registry = CollectorRegistry()
    steps = Histogram(
        "tradewind_scheduler_step_seconds",
        "Duration of each scheduling step (events in, decisions and queueing committed).",
        buckets=STEP_BUCKETS,
        registry=registry,
    )
    loop.stats.observers.append(steps.observe)
    registry.register(_LoopCounters(loop))
    Gauge(
        "tradewind_scheduler_inbox_depth", "Work waiting for the next step.", registry=registry
    ).set_function(lambda: loop.inbox_depth)
    runs = Gauge(
        "tradewind_scheduler_dag_runs",
        "DAG runs in flight, by state.",
        ["state"],
        registry=registry,
    )

    async def refresh() -> None:
        async with db.reader() as session:
            rows = await session.execute(
                select(DagRun.state, func.count())
                .where(DagRun.state.in_(IN_FLIGHT))  # type: ignore[attr-defined]
                .group_by(DagRun.state)
            )
            counts = dict(rows.tuples().all())
        for state in IN_FLIGHT:
            runs.labels(state).set(counts.get(state, 0))

    async def sweeping() -> None:
        last = loop.stats.last_sweep_at
        if last is None:
            raise RuntimeError("the scheduling loop has not finished a sweep yet")
        age = (utcnow() - last).total_seconds()
        if age > max(3 * settings.scheduler_sweep_interval, MIN_STALL_S):
            raise RuntimeError(f"the scheduling loop last finished a sweep {age:.0f}s ago")

    return create_service_app(
        service="scheduler",
        description=DESCRIPTION,
        checks=[
            database_check(db),
            peer_check("dispatcher", settings.dispatcher_address),
            ReadinessCheck("scheduling_loop", sweeping),
        ],
        registry=registry,
        routers=[_surface_router(db, loop, settings)],
        before_metrics=refresh,
    )
