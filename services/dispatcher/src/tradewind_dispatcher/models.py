"""The dispatcher's tables: task attempts, the worker registry, task logs, and the outbox
of task events not yet delivered to the scheduler."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Text, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class DispatcherModel(SQLModel, registry=registry()):
    pass


def _ts(**kw: Any) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), **kw))


class TaskAttempt(DispatcherModel, table=True):
    """One try of one task instance. The fencing token is set by the claim: only its
    holder may heartbeat, log or report."""

    __tablename__ = "task_attempt"
    __table_args__ = (
        UniqueConstraint("task_instance_id", "try_number", name="task_attempt_ti_try_key"),
        Index("task_attempt_state_idx", "state"),
    )
    id: str = Field(primary_key=True, max_length=36)
    task_instance_id: str = Field(max_length=36)
    try_number: int
    dag_id: str = Field(max_length=250)
    run_id: str = Field(max_length=250)
    task_id: str = Field(max_length=250)
    map_index: int = -1
    queue: str = Field(max_length=100)
    priority_weight: int = 1
    task: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    context: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    state: str = Field(max_length=20)
    fencing_token: str | None = Field(default=None, max_length=36)
    worker_id: str | None = Field(default=None, max_length=250)
    hostname: str | None = Field(default=None, max_length=1000)
    pid: int | None = None
    exit_code: int | None = None
    reason: str | None = None
    created_at: datetime | None = _ts(nullable=False)
    # Set once the broker confirmed the attempt's message: until then a crash may have
    # lost it, and the sweeper publishes it again.
    published_at: datetime | None = _ts()
    claimed_at: datetime | None = _ts()
    heartbeat_at: datetime | None = _ts()
    ended_at: datetime | None = _ts()


class Worker(DispatcherModel, table=True):
    __tablename__ = "worker"
    id: str = Field(primary_key=True, max_length=250)
    hostname: str = Field(max_length=1000)
    queues: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    concurrency: int = 0
    running: int = 0
    # The running process behind this worker id (see workers.record_heartbeat).
    incarnation: str | None = Field(default=None, max_length=36)
    first_seen: datetime | None = _ts(nullable=False)
    last_heartbeat: datetime | None = _ts(nullable=False)


class TaskLog(DispatcherModel, table=True):
    __tablename__ = "task_log"
    __table_args__ = (Index("task_log_attempt_idx", "attempt_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    attempt_id: str = Field(max_length=36)
    text: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime | None = _ts(nullable=False)


class SchedulerOutbox(DispatcherModel, table=True):
    """Task events recorded with the attempt change that caused them, delivered to the
    scheduler afterwards: a crash between the two loses nothing."""

    __tablename__ = "scheduler_outbox"
    id: int | None = Field(default=None, primary_key=True)
    event: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime | None = _ts(nullable=False)


metadata = DispatcherModel.metadata


class XCom(DispatcherModel, table=True):
    """A JSON value a task passed on (its return value, or one it pushed), read by later
    tasks of the same run and through the REST API."""

    __tablename__ = "xcom"
    dag_id: str = Field(primary_key=True, max_length=250)
    run_id: str = Field(primary_key=True, max_length=250)
    task_id: str = Field(primary_key=True, max_length=250)
    map_index: int = Field(default=-1, primary_key=True)
    key: str = Field(primary_key=True, max_length=512)
    value: str = Field(sa_column=Column(Text, nullable=False))  # JSON text, as pushed
    attempt_id: str = Field(max_length=36)
    timestamp: datetime | None = _ts(nullable=False)


class TaskLogChunk(DispatcherModel, table=True):
    """A batch of one try's log lines ({timestamp, level, event} each), as the worker
    shipped it; read in id order, which is the continuation token."""

    __tablename__ = "task_log_chunk"
    __table_args__ = (
        Index("task_log_chunk_batch_key", "attempt_id", "batch", unique=True),
        Index("task_log_chunk_attempt_idx", "attempt_id", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    attempt_id: str = Field(max_length=36)
    # The worker's batch number (a resent batch is stored once); null for notes.
    batch: int | None = None
    lines: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    size_bytes: int
    created_at: datetime | None = _ts(nullable=False)
