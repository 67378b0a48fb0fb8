"""Request and response shapes for manual control, tries and DAG versions: Airflow 3's
ClearTaskInstancesBody, PatchTaskInstanceBody, DAGRunPatchBody, DAGRunClearBody,
TaskInstanceHistoryResponse, DAGVersionCollectionResponse and DAGSourceResponse."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from tradewind_api.datetimes import InUtcRange
from tradewind_api.schemas import DagVersionResponse

Note = Annotated[str, Field(max_length=1000)]
MapIndex = Annotated[int, Field(ge=-1, le=2**31 - 1)]


class ClearTaskInstancesBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dry_run: bool = True
    start_date: Annotated[datetime | None, InUtcRange] = None
    end_date: Annotated[datetime | None, InUtcRange] = None
    only_failed: bool = True
    only_running: bool = False
    reset_dag_runs: bool = True
    # A task id, or [task id, map index] as Airflow allows (no mapped tasks here: -1).
    task_ids: list[str | tuple[str, MapIndex]] | None = Field(default=None, max_length=10_000)
    dag_run_id: str | None = None
    include_upstream: bool = False
    include_downstream: bool = False
    include_future: bool = False
    include_past: bool = False
    prevent_running_task: bool = False
    # Runs stay on the version they started with; asking otherwise is refused.
    run_on_latest_version: Literal[False] = False


class PatchTaskInstanceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    new_state: Literal["success", "failed", "skipped"] | None = None
    note: Note | None = None
    include_upstream: bool = False
    include_downstream: bool = False
    include_future: bool = False
    include_past: bool = False


class DAGRunPatchBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: Literal["queued", "success", "failed"] | None = None
    note: Note | None = None


class DAGRunClearBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dry_run: bool = True
    only_failed: bool = False
    run_on_latest_version: Literal[False] = False


class TaskInstanceHistoryResponse(BaseModel):
    # Always sent, so required in the schema (generated clients need not guess).
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)
    task_id: str
    dag_id: str
    dag_run_id: str
    map_index: int
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
    dag_version: DagVersionResponse | None


class TaskInstanceHistoryCollectionResponse(BaseModel):
    task_instances: list[TaskInstanceHistoryResponse]
    total_entries: int


class DAGVersionCollectionResponse(BaseModel):
    dag_versions: list[DagVersionResponse]
    total_entries: int


class DAGSourceResponse(BaseModel):
    content: str | None
    dag_id: str
    version_number: int | None
    dag_display_name: str
