"""Request and response shapes of the REST API: Airflow 3's stable API names and fields,
so its clients read ours. Fields Tradewind has no use for yet are present and null."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from tradewind_api.datetimes import InUtcRange


class DagTagResponse(BaseModel):
    name: str
    dag_id: str
    dag_display_name: str


class DagVersionResponse(BaseModel):
    id: str
    version_number: int
    dag_id: str
    bundle_name: str | None = None
    bundle_version: str | None = None
    bundle_url: str | None = None
    created_at: datetime
    dag_display_name: str


class DAGResponse(BaseModel):
    # Always sent, so required in the schema (generated clients need not guess).
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)
    dag_id: str
    dag_display_name: str
    is_paused: bool
    is_stale: bool = False
    last_parsed_time: datetime | None = None
    last_expired: datetime | None = None
    bundle_name: str | None = None
    bundle_version: str | None = None
    relative_fileloc: str | None = None
    fileloc: str = Field(
        description="Where the DAG's spec is kept: Tradewind stores specs, not files, so "
        "this names the stored spec (its source is at `/dagSources/{dag_id}`)."
    )
    file_token: str = Field(description="An opaque token naming the DAG's spec.")
    description: str | None = None
    timetable_summary: str | None = None
    timetable_description: str | None = None
    timetable_periodic: bool = Field(description="Whether the schedule repeats (cron, interval).")
    timetable_partitioned: bool = False
    is_backfillable: bool = Field(description="Whether this DAG's schedule supports backfilling.")
    allowed_run_types: list[str] | None = None
    tags: list[DagTagResponse]
    max_active_tasks: int
    max_active_runs: int | None
    max_consecutive_failed_dag_runs: int = 0
    has_task_concurrency_limits: bool = False
    has_import_errors: bool = False
    last_parse_duration: float | None = None
    next_dagrun_logical_date: datetime | None = None
    next_dagrun_data_interval_start: datetime | None = None
    next_dagrun_data_interval_end: datetime | None = None
    next_dagrun_run_after: datetime | None = None
    owners: list[str]
    latest_dag_version: DagVersionResponse | None = None


class DAGDetailsResponse(DAGResponse):
    """A DAG with what its spec says beyond the listing: dates, params, defaults."""

    catchup: bool
    dag_run_timeout: str | None = None
    asset_expression: dict[str, Any] | None = None
    doc_md: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    is_paused_upon_creation: bool | None = None
    params: dict[str, Any] | None = None
    render_template_as_native_obj: bool = False
    template_search_path: list[str] | None = None
    timezone: str | None = None
    last_parsed: datetime | None = None
    default_args: dict[str, Any] | None = None
    owner_links: dict[str, str] | None = None
    is_favorite: bool = False
    active_runs_count: int = 0
    rerun_with_latest_version: bool | None = None
    concurrency: int = Field(description="max_active_tasks, under Airflow's deprecated name.")


class DAGCollectionResponse(BaseModel):
    dags: list[DAGResponse]
    total_entries: int


class DAGPatchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    is_paused: bool


class TimeDelta(BaseModel):
    """A duration as Airflow serializes one: days, seconds and microseconds."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)
    type: str = Field(default="TimeDelta", alias="__type")
    days: int
    seconds: int
    microseconds: int

    @classmethod
    def of(cls, delta: timedelta | None) -> TimeDelta | None:
        if delta is None:
            return None
        return cls(days=delta.days, seconds=delta.seconds, microseconds=delta.microseconds)


class TaskResponse(BaseModel):
    # Always sent, so required in the schema (generated clients need not guess).
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)
    task_id: str
    task_display_name: str
    owner: str
    start_date: datetime | None = None
    end_date: datetime | None = None
    trigger_rule: str
    depends_on_past: bool
    wait_for_downstream: bool
    retries: float
    queue: str
    pool: str
    pool_slots: float
    execution_timeout: TimeDelta | None
    retry_delay: TimeDelta | None
    retry_exponential_backoff: float
    priority_weight: float
    weight_rule: str | None
    ui_color: str | None = None
    ui_fgcolor: str | None = None
    template_fields: list[str]
    downstream_task_ids: list[str]
    upstream_task_ids: list[str]
    doc_md: str | None
    operator_name: str
    params: dict[str, Any] | None = None
    class_ref: dict[str, Any] | None = None
    is_mapped: bool = False
    extra_links: list[str] = Field(default_factory=list)


class TaskCollectionResponse(BaseModel):
    tasks: list[TaskResponse]
    total_entries: int


class TriggerDAGRunPostBody(BaseModel):
    """Airflow 3's trigger body. A data interval comes with a logical date, both ends or
    neither (without one a run with a logical date gets the zero-length interval at it, as
    Airflow 3's trigger timetables infer); `run_after` defaults to now and may not lie in
    the future (a triggered run starts at once)."""

    model_config = ConfigDict(extra="forbid")
    dag_run_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:+\-]{1,250}$")
    logical_date: Annotated[datetime | None, InUtcRange] = None
    data_interval_start: Annotated[AwareDatetime | None, InUtcRange] = None
    data_interval_end: Annotated[AwareDatetime | None, InUtcRange] = Field(
        default=None, validate_default=True
    )
    run_after: Annotated[AwareDatetime | None, InUtcRange] = None
    conf: dict[str, Any] = Field(default_factory=dict)
    note: str | None = None
    partition_key: None = Field(
        default=None, description="Always null: Tradewind has no partitioned schedules."
    )

    @field_validator("data_interval_end")
    @classmethod
    def _interval_with_its_logical_date(cls, end: datetime | None, info: ValidationInfo):
        start = info.data.get("data_interval_start")
        if start is None and end is None:
            return end
        if start is None or end is None:
            raise ValueError("data_interval_start and data_interval_end go together")
        if info.data.get("logical_date") is None:
            raise ValueError("a data interval needs a logical_date")
        if end < start:
            raise ValueError("data_interval_end is before data_interval_start")
        return end

    @field_validator("run_after")
    @classmethod
    def _not_in_the_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value > datetime.now(UTC) + timedelta(seconds=5):
            raise ValueError("run_after is in the future; a triggered run starts at once")
        return value


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
    triggering_user_name: str | None = None
    partition_key: str | None = None
    conf: dict[str, Any]
    note: str | None
    dag_versions: list[DagVersionResponse]
    bundle_version: str | None = None
    dag_display_name: str


class DAGRunCollectionResponse(BaseModel):
    dag_runs: list[DAGRunResponse]
    total_entries: int


class TaskInstanceResponse(BaseModel):
    # Always sent, so required in the schema (generated clients need not guess).
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)
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


class StructuredLogMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    timestamp: datetime | None = None
    event: str
    level: str | None = None
    stream: Literal["stdout", "stderr"] | None = Field(
        default=None,
        description="The task stream the line came from; null on Tradewind's own notes.",
    )


class TaskInstancesLogResponse(BaseModel):
    """One page of a try's log. `continuation_token` asks for the lines after this page
    (on a running task: the lines written since); it is null once the try is over and
    every line has been read."""

    content: list[StructuredLogMessage]
    continuation_token: str | None = None


class BaseInfoResponse(BaseModel):
    status: Literal["healthy", "unhealthy"]


class SetAsideRunInfo(BaseModel):
    """A run the scheduler set aside after its scheduling failed: the others go on."""

    dag_id: str
    dag_run_id: str
    reason: str
    failures: int
    next_attempt_at: datetime | None


class SchedulerInfoResponse(BaseInfoResponse):
    latest_scheduler_heartbeat: datetime | None
    set_aside_runs: list[SetAsideRunInfo] = []
    set_aside_total: int = 0


class DispatcherInfoResponse(BaseInfoResponse):
    queued_attempts: int | None = None
    running_attempts: int | None = None


class WorkersInfoResponse(BaseInfoResponse):
    live_workers: int
    latest_worker_heartbeat: datetime | None
    # Task slots of the live workers, and how many are taken.
    slots: int = 0
    slots_in_use: int = 0


class TriggererInfoResponse(BaseModel):
    """Tradewind has no triggerer (nothing defers): always null, as Airflow reports one
    that never ran."""

    status: str | None = None
    latest_triggerer_heartbeat: datetime | None = None


class DagProcessorInfoResponse(BaseModel):
    """Tradewind parses no files (specs arrive through the API): always null."""

    status: str | None = None
    latest_dag_processor_heartbeat: datetime | None = None


class HealthInfoResponse(BaseModel):
    # Always sent, so required in the schema (generated clients need not guess).
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)
    metadatabase: BaseInfoResponse
    scheduler: SchedulerInfoResponse
    triggerer: TriggererInfoResponse = Field(default_factory=TriggererInfoResponse)
    dag_processor: DagProcessorInfoResponse | None = Field(default_factory=DagProcessorInfoResponse)
    dispatcher: DispatcherInfoResponse
    workers: WorkersInfoResponse


class ProblemResponse(BaseModel):
    """RFC 9457 problem details; `detail` is also what Airflow's clients read."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None


class XComResponse(BaseModel):
    key: str
    timestamp: datetime
    logical_date: datetime | None
    map_index: int
    task_id: str
    dag_id: str
    run_id: str
    dag_display_name: str
    task_display_name: str
    run_after: datetime | None


class XComResponseNative(XComResponse):
    value: Any


class XComCollectionResponse(BaseModel):
    xcom_entries: list[XComResponse]
    total_entries: int


class WorkerTaskInstance(BaseModel):
    dag_id: str
    dag_run_id: str
    task_id: str
    map_index: int
    try_number: int
    pid: int | None
    start_date: datetime | None


class WorkerResponse(BaseModel):
    worker_id: str
    hostname: str
    queues: list[str]
    slots: int
    slots_in_use: int
    running_task_instances: list[WorkerTaskInstance]
    first_seen: datetime | None
    last_heartbeat: datetime | None
    alive: bool


class WorkerCollectionResponse(BaseModel):
    workers: list[WorkerResponse]
    total_entries: int
