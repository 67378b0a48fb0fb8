"""Request and response shapes of the REST API: Airflow 3's stable API names and fields,
so its clients read ours. Fields Tradewind has no use for yet are present and null."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class DagTagResponse(BaseModel):
    name: str
    dag_id: str


class DagVersionResponse(BaseModel):
    id: str
    version_number: int
    dag_id: str
    bundle_name: str | None = None
    bundle_version: str | None = None
    created_at: datetime
    dag_display_name: str


class DAGResponse(BaseModel):
    dag_id: str
    dag_display_name: str
    is_paused: bool
    is_stale: bool = False
    last_parsed_time: datetime | None = None
    last_expired: datetime | None = None
    bundle_name: str | None = None
    bundle_version: str | None = None
    relative_fileloc: str | None = None
    fileloc: str | None = None
    description: str | None = None
    timetable_summary: str | None = None
    timetable_description: str | None = None
    tags: list[DagTagResponse]
    max_active_tasks: int
    max_active_runs: int | None
    max_consecutive_failed_dag_runs: int = 0
    has_task_concurrency_limits: bool = False
    has_import_errors: bool = False
    next_dagrun_logical_date: datetime | None = None
    next_dagrun_data_interval_start: datetime | None = None
    next_dagrun_data_interval_end: datetime | None = None
    next_dagrun_run_after: datetime | None = None
    owners: list[str]
    latest_dag_version: DagVersionResponse | None = None


class DAGCollectionResponse(BaseModel):
    dags: list[DAGResponse]
    total_entries: int


class DAGPatchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    is_paused: bool


class TaskResponse(BaseModel):
    task_id: str
    task_display_name: str
    owner: str
    operator_name: str
    trigger_rule: str
    retries: float
    retry_delay: float | None
    retry_exponential_backoff: bool
    execution_timeout: float | None
    pool: str
    pool_slots: float
    priority_weight: float
    queue: str
    doc_md: str | None
    downstream_task_ids: list[str]
    upstream_task_ids: list[str]
    template_fields: list[str]


class TaskCollectionResponse(BaseModel):
    tasks: list[TaskResponse]
    total_entries: int


class TriggerDAGRunPostBody(BaseModel):
    """Airflow's trigger body, less data intervals and run_after: Tradewind does not use
    them yet, so sending them is refused (422) rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")
    dag_run_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:+\-]{1,250}$")
    logical_date: datetime | None = None
    conf: dict[str, Any] = Field(default_factory=dict)
    note: str | None = None


class DAGRunResponse(BaseModel):
    dag_run_id: str
    dag_id: str
    logical_date: datetime | None
    queued_at: datetime | None
    start_date: datetime | None
    end_date: datetime | None
    duration: float | None
    data_interval_start: datetime | None = None
    data_interval_end: datetime | None = None
    run_after: datetime | None
    last_scheduling_decision: datetime | None = None
    run_type: str
    state: Literal["queued", "running", "success", "failed"]
    triggered_by: str | None
    conf: dict[str, Any]
    note: str | None
    dag_versions: list[DagVersionResponse]
    bundle_version: str | None = None
    dag_display_name: str


class DAGRunCollectionResponse(BaseModel):
    dag_runs: list[DAGRunResponse]
    total_entries: int


class TaskInstanceResponse(BaseModel):
    id: str
    task_id: str
    dag_id: str
    dag_run_id: str
    map_index: int
    logical_date: datetime | None
    run_after: datetime | None
    start_date: datetime | None
    end_date: datetime | None
    duration: float | None
    state: str | None
    try_number: int
    max_tries: int
    task_display_name: str
    dag_display_name: str
    hostname: str | None
    unixname: str | None = None
    pool: str
    pool_slots: int
    queue: str | None
    priority_weight: int | None
    operator: str | None
    operator_name: str | None
    queued_when: datetime | None
    scheduled_when: datetime | None
    pid: int | None
    executor: str | None = None
    executor_config: str = "{}"
    note: str | None = None
    rendered_map_index: str | None = None
    rendered_fields: dict[str, Any] = Field(default_factory=dict)
    trigger: None = None
    triggerer_job: None = None
    dag_version: DagVersionResponse | None


class TaskInstanceCollectionResponse(BaseModel):
    task_instances: list[TaskInstanceResponse]
    total_entries: int


class TaskInstancesLogResponse(BaseModel):
    content: str
    continuation_token: str | None = None


class BaseInfoResponse(BaseModel):
    status: Literal["healthy", "unhealthy"]


class SchedulerInfoResponse(BaseInfoResponse):
    latest_scheduler_heartbeat: datetime | None


class DispatcherInfoResponse(BaseInfoResponse):
    queued_attempts: int | None = None
    running_attempts: int | None = None


class WorkersInfoResponse(BaseInfoResponse):
    live_workers: int
    latest_worker_heartbeat: datetime | None


class HealthInfoResponse(BaseModel):
    metadatabase: BaseInfoResponse
    scheduler: SchedulerInfoResponse
    dispatcher: DispatcherInfoResponse
    workers: WorkersInfoResponse


class ProblemResponse(BaseModel):
    """RFC 9457 problem details; `detail` is also what Airflow's clients read."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None
