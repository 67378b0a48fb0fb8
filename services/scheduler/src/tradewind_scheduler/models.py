"""The scheduler's tables: DAGs it knows of, DAG runs, task instances. Its own registry,
so its metadata holds only its own tables (another service's `dag` table is not this one)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class SchedulerModel(SQLModel, registry=registry()):
    pass


def _ts(**kw: Any) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), **kw))


class Dag(SchedulerModel, table=True):
    """What the scheduler needs to know of a DAG: its newest version, whether it is paused,
    and its next scheduled run (Airflow's `next_dagrun*` fields)."""

    __tablename__ = "dag"
    __table_args__ = (Index("dag_next_dagrun_create_after_idx", "next_dagrun_create_after"),)
    dag_id: str = Field(primary_key=True, max_length=250)
    latest_version_id: str = Field(max_length=64)
    is_paused: bool = False
    updated_at: datetime | None = _ts(nullable=False)
    next_dagrun: datetime | None = _ts()
    next_dagrun_data_interval_start: datetime | None = _ts()
    next_dagrun_data_interval_end: datetime | None = _ts()
    # When the next scheduled run may be created; null when none is due ever (no schedule,
    # past end_date) or while it is being worked out.
    next_dagrun_create_after: datetime | None = _ts()
    # Set when the DAG changed (new version, paused, unpaused): next_dagrun* must be
    # worked out again from its timetable.
    next_dagrun_stale: bool = True


class DagRun(SchedulerModel, table=True):
    __tablename__ = "dag_run"
    __table_args__ = (
        UniqueConstraint("dag_id", "run_id", name="dag_run_dag_id_run_id_key"),
        # As in Airflow: one run per logical date (runs without one are not constrained).
        UniqueConstraint("dag_id", "logical_date", name="dag_run_dag_id_logical_date_key"),
        Index("dag_run_state_idx", "state"),
        Index("dag_run_timeout_idx", "state", "timeout_at"),
        # max_active_runs counts, queued runs waiting to start, the previous run of a DAG.
        Index("dag_run_dag_state_idx", "dag_id", "state"),
        Index("dag_run_dag_logical_date_idx", "dag_id", "logical_date"),
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
    # start_date + the DAG's dagrun_timeout, set when the run starts: the sweep finds
    # overdue runs by index.
    timeout_at: datetime | None = _ts()
    data_interval_start: datetime | None = _ts()
    data_interval_end: datetime | None = _ts()


# Predicates of the partial indexes below; the queries that use them (queries.py) repeat
# them word for word, so the planner can match them.
OPEN_TI = text(
    "state IS NULL OR state IN ('scheduled', 'queued', 'running', 'up_for_retry', 'restarting')"
)
ACTIVE_TI = text("state IN ('queued', 'running', 'restarting')")


class TaskInstance(SchedulerModel, table=True):
    __tablename__ = "task_instance"
    __table_args__ = (
        UniqueConstraint("dag_run_pk", "task_id", "map_index", name="task_instance_key"),
        Index("task_instance_dag_state_idx", "dag_id", "state"),
        # Every scheduling query reads by one of these, never by scanning a run's or the
        # whole table's task instances: a run's unfinished instances, a DAG's and a
        # task's active instances (max_active_tasks, max_active_tis_per_dag), a pool's
        # ready queue in priority order and its occupancy, queued instances by age,
        # retries coming due. The partial ones hold only the rows they count, so a count
        # costs what is open or active, never what a large run has already finished (nor
        # can the planner, before statistics exist, pick a wider index that scans them).
        Index(
            "task_instance_run_open_idx",
            "dag_run_pk",
            postgresql_where=OPEN_TI,
            sqlite_where=OPEN_TI,
        ),
        Index(
            "task_instance_active_idx",
            "dag_id",
            "task_id",
            postgresql_where=ACTIVE_TI,
            sqlite_where=ACTIVE_TI,
        ),
        Index(
            "task_instance_pool_active_idx",
            "pool",
            "state",
            "pool_slots",
            postgresql_where=ACTIVE_TI,
            sqlite_where=ACTIVE_TI,
        ),
        # A pool's ready queue in its order (tradewind_core.queueing: aged priority).
        Index("task_instance_pool_rank_idx", "pool", "state", "queue_rank", "id"),
        Index("task_instance_state_queued_idx", "state", "queued_when"),
        Index("task_instance_state_retry_idx", "state", "next_retry_at"),
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
    note: str | None = Field(default=None, max_length=1000)
    # The scheduler (its scheduler_id) that gave the current try its slot (Airflow's field).
    queued_by_job_id: str | None = Field(default=None, max_length=100)
    # Its place in its pool's ready queue, set when it becomes scheduled: seconds since the
    # epoch when it became ready, less its priority_weight's worth of waiting.
    queue_rank: float | None = None


class TaskInstanceHistory(SchedulerModel, table=True):
    """One past try of a task instance, kept when the try is superseded (a retry, a
    clear): the task instance row only ever holds its current try."""

    __tablename__ = "task_instance_history"
    __table_args__ = (
        UniqueConstraint("task_instance_id", "try_number", name="task_instance_history_try_key"),
        Index("task_instance_history_run_idx", "dag_run_pk"),
    )
    id: int | None = Field(default=None, primary_key=True)
    task_instance_id: str = Field(max_length=36)
    dag_run_pk: int
    dag_id: str = Field(max_length=250)
    run_id: str = Field(max_length=250)
    task_id: str = Field(max_length=250)
    map_index: int = -1
    try_number: int
    state: str | None = Field(default=None, max_length=20)
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
    duration: float | None = None
    failure_reason: str | None = None
    dag_version_id: str = Field(max_length=64)
    queued_by_job_id: str | None = Field(default=None, max_length=100)


class AttemptStop(SchedulerModel, table=True):
    """Outbox of attempts the dispatcher must stop (a task marked, cleared or timed out
    while queued or running): written with the state change, sent after the commit, and
    deleted only once the dispatcher has acknowledged it."""

    __tablename__ = "attempt_stop"
    id: int | None = Field(default=None, primary_key=True)
    task_instance_id: str = Field(max_length=36)
    try_number: int
    reason: str = Field(max_length=1000)
    created_at: datetime | None = _ts(nullable=False)


class SchedulerJob(SchedulerModel, table=True):
    """One row per scheduler process: its heartbeat, reported by the api's health check."""

    __tablename__ = "scheduler_job"
    id: str = Field(primary_key=True, max_length=100)
    hostname: str = Field(max_length=1000)
    latest_heartbeat: datetime | None = _ts(nullable=False)


class Pool(SchedulerModel, table=True):
    """A named budget of slots that task instances take while queued or running."""

    __tablename__ = "pool"
    name: str = Field(primary_key=True, max_length=256)
    slots: int
    description: str | None = None
    include_deferred: bool = False


class SetAsideRun(SchedulerModel, table=True):
    """A run whose scheduling failed: kept out of the way of the others, with its reason,
    and tried again with backoff. Events for it wait here, so none is lost."""

    __tablename__ = "set_aside_run"
    __table_args__ = (Index("set_aside_run_next_attempt_idx", "next_attempt_at"),)
    dag_run_pk: int = Field(primary_key=True, foreign_key="dag_run.id", ondelete="CASCADE")
    dag_id: str = Field(max_length=250)
    run_id: str = Field(max_length=250)
    reason: str
    failures: int = 1
    set_aside_at: datetime | None = _ts(nullable=False)
    next_attempt_at: datetime | None = _ts(nullable=False)
    events: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class Backfill(SchedulerModel, table=True):
    """A request to run a DAG over a past range of logical dates (Airflow 3's backfill)."""

    __tablename__ = "backfill"
    __table_args__ = (Index("backfill_dag_id_completed_at_idx", "dag_id", "completed_at"),)
    id: int | None = Field(default=None, primary_key=True)
    dag_id: str = Field(max_length=250)
    dag_version_id: str = Field(max_length=64)
    from_date: datetime | None = _ts(nullable=False)
    to_date: datetime | None = _ts(nullable=False)
    dag_run_conf: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    is_paused: bool = False
    reprocess_behavior: str = Field(default="none", max_length=20)
    max_active_runs: int = 10
    run_backwards: bool = False
    created_at: datetime | None = _ts(nullable=False)
    updated_at: datetime | None = _ts(nullable=False)
    completed_at: datetime | None = _ts()


class BackfillDagRun(SchedulerModel, table=True):
    """One logical date of a backfill, in the order it runs (`sort_ordinal`): the run made
    (or reprocessed) for it, or why none was (`exception_reason`)."""

    __tablename__ = "backfill_dag_run"
    __table_args__ = (
        UniqueConstraint("backfill_id", "sort_ordinal", name="backfill_dag_run_ordinal_key"),
        Index("backfill_dag_run_dag_run_id_idx", "dag_run_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    backfill_id: int = Field(foreign_key="backfill.id", ondelete="CASCADE")
    dag_run_id: int | None = Field(default=None, foreign_key="dag_run.id", ondelete="SET NULL")
    logical_date: datetime | None = _ts(nullable=False)
    sort_ordinal: int
    exception_reason: str | None = Field(default=None, max_length=50)


metadata = SchedulerModel.metadata
