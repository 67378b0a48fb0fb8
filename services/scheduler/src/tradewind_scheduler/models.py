"""The scheduler's tables: DAGs it knows of, DAG runs, task instances. Its own registry,
so its metadata holds only its own tables (another service's `dag` table is not this one)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class SchedulerModel(SQLModel, registry=registry()):
    pass


def _ts(**kw: Any) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), **kw))


class Dag(SchedulerModel, table=True):
    """What the scheduler needs to know of a DAG: its newest version and whether it is paused."""

    __tablename__ = "dag"
    dag_id: str = Field(primary_key=True, max_length=250)
    latest_version_id: str = Field(max_length=64)
    is_paused: bool = False
    updated_at: datetime | None = _ts(nullable=False)


class DagRun(SchedulerModel, table=True):
    __tablename__ = "dag_run"
    __table_args__ = (
        UniqueConstraint("dag_id", "run_id", name="dag_run_dag_id_run_id_key"),
        Index("dag_run_state_idx", "state"),
    )
    id: int | None = Field(default=None, primary_key=True)
    dag_id: str = Field(max_length=250)
    run_id: str = Field(max_length=250)
    dag_version_id: str = Field(max_length=64)
    state: str = Field(max_length=20)
    run_type: str = Field(max_length=50)
    triggered_by: str = Field(default="rest_api", max_length=50)
    logical_date: datetime | None = _ts()
    run_after: datetime | None = _ts(nullable=False)
    queued_at: datetime | None = _ts()
    start_date: datetime | None = _ts()
    end_date: datetime | None = _ts()
    conf: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    note: str | None = None


class TaskInstance(SchedulerModel, table=True):
    __tablename__ = "task_instance"
    __table_args__ = (
        UniqueConstraint("dag_run_pk", "task_id", "map_index", name="task_instance_key"),
        Index("task_instance_dag_state_idx", "dag_id", "state"),
    )
    id: str = Field(primary_key=True, max_length=36)
    dag_run_pk: int = Field(foreign_key="dag_run.id", ondelete="CASCADE")
    dag_id: str = Field(max_length=250)
    run_id: str = Field(max_length=250)
    task_id: str = Field(max_length=250)
    map_index: int = -1
    state: str | None = Field(default=None, max_length=20)
    try_number: int = 0
    max_tries: int = 0
    operator: str = Field(max_length=50)
    queue: str = Field(max_length=100)
    pool: str = Field(max_length=256)
    pool_slots: int = 1
    priority_weight: int = 1
    hostname: str = Field(default="", max_length=1000)
    pid: int | None = None
    scheduled_when: datetime | None = _ts()
    queued_when: datetime | None = _ts()
    start_date: datetime | None = _ts()
    end_date: datetime | None = _ts()
    next_retry_at: datetime | None = _ts()
    failure_reason: str | None = None


class SchedulerJob(SchedulerModel, table=True):
    """One row per scheduler process: its heartbeat, reported by the api's health check."""

    __tablename__ = "scheduler_job"
    id: str = Field(primary_key=True, max_length=100)
    hostname: str = Field(max_length=1000)
    latest_heartbeat: datetime | None = _ts(nullable=False)


metadata = SchedulerModel.metadata
