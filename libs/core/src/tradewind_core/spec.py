"""The DAG spec: the product's main input, a JSON (or YAML) document whose field names
follow Airflow's own argument names. Pure code: parsing, validation, the task graph.

`parse_dag_spec` is the one entry point; it returns a `DagSpec` or raises `DagSpecError`
listing every problem with the location of the field it concerns.
"""

from __future__ import annotations

import graphlib
import hashlib
import json
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Annotated, Any, Literal

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tradewind_core.trigger_rules import TriggerRule

# Airflow's KEY_REGEX, and its 250-character limit on ids.
ID_PATTERN = r"^[A-Za-z0-9_.\-]{1,250}$"
QUEUE_PATTERN = r"^[A-Za-z0-9_.\-]{1,100}$"
SCHEDULE_PRESETS = {
    "@once",
    "@hourly",
    "@daily",
    "@weekly",
    "@monthly",
    "@quarterly",
    "@yearly",
    "@annually",
}

Seconds = Annotated[timedelta, Field(ge=timedelta(0))]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", ser_json_timedelta="float")


class TaskDefaults(_Strict):
    """Fields of `default_args`: each applies to every task that does not set it."""

    owner: str | None = None
    retries: Annotated[int, Field(ge=0, le=100)] | None = None
    retry_delay: Seconds | None = None
    retry_exponential_backoff: bool | None = None
    max_retry_delay: Seconds | None = None
    execution_timeout: Seconds | None = None
    trigger_rule: TriggerRule | None = None
    pool: str | None = None
    pool_slots: Annotated[int, Field(ge=1)] | None = None
    priority_weight: int | None = None
    queue: Annotated[str, Field(pattern=QUEUE_PATTERN)] | None = None


class BashTask(_Strict):
    task_id: Annotated[str, Field(pattern=ID_PATTERN)]
    operator: Literal["bash"]
    bash_command: Annotated[str, Field(min_length=1)]
    env: dict[str, str] | None = None
    append_env: bool = True
    cwd: str | None = None
    # Airflow's BashOperator marks the task skipped when the command exits with these.
    skip_on_exit_code: int | list[int] | None = 99
    upstream: list[str] = Field(default_factory=list)
    task_display_name: str | None = None
    doc_md: str | None = None
    owner: str = "tradewind"
    retries: Annotated[int, Field(ge=0, le=100)] = 0
    retry_delay: Seconds = timedelta(seconds=300)
    retry_exponential_backoff: bool = False
    max_retry_delay: Seconds | None = None
    execution_timeout: Seconds | None = None
    trigger_rule: TriggerRule = TriggerRule.ALL_SUCCESS
    pool: str = "default_pool"
    pool_slots: Annotated[int, Field(ge=1)] = 1
    priority_weight: int = 1
    queue: Annotated[str, Field(pattern=QUEUE_PATTERN)] = "default"

    def skip_exit_codes(self) -> set[int]:
        code = self.skip_on_exit_code
        if code is None:
            return set()
        return {code} if isinstance(code, int) else set(code)


TaskSpec = BashTask


class DagSpec(_Strict):
    dag_id: Annotated[str, Field(pattern=ID_PATTERN)]
    dag_display_name: str | None = None
    description: str | None = None
    doc_md: str | None = None
    schedule: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    catchup: bool = False
    tags: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)
    default_args: TaskDefaults = Field(default_factory=TaskDefaults)
    max_active_runs: Annotated[int, Field(ge=1)] = 16
    max_active_tasks: Annotated[int, Field(ge=1)] = 16
    is_paused_upon_creation: bool | None = None
    tasks: Annotated[list[TaskSpec], Field(min_length=1)]

    @field_validator("schedule")
    @classmethod
    def _valid_schedule(cls, value: str | None) -> str | None:
        if value is None or value in SCHEDULE_PRESETS:
            return value
        if not croniter.is_valid(value):
            raise ValueError(
                f"{value!r} is neither a cron expression nor one of "
                + ", ".join(sorted(SCHEDULE_PRESETS))
            )
        return value

    @field_validator("start_date", "end_date")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @cached_property
    def task_by_id(self) -> dict[str, TaskSpec]:
        return {task.task_id: task for task in self.tasks}

    @cached_property
    def downstream(self) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {task.task_id: [] for task in self.tasks}
        for task in self.tasks:
            for upstream_id in task.upstream:
                result[upstream_id].append(task.task_id)
        return {k: sorted(v) for k, v in result.items()}

    def topological_order(self) -> list[str]:
        """Task ids, each after all of its upstream tasks; DAG order among equals."""
        return self._topological_order

    @cached_property
    def _topological_order(self) -> list[str]:
        position = {task.task_id: i for i, task in enumerate(self.tasks)}
        sorter = graphlib.TopologicalSorter({t.task_id: t.upstream for t in self.tasks})
        sorter.prepare()
        order: list[str] = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready(), key=position.__getitem__)
            order.extend(ready)
            sorter.done(*ready)
        return order

    def leaves(self) -> list[str]:
        return [task_id for task_id, down in self.downstream.items() if not down]

    def canonical_json(self) -> str:
        return json.dumps(
            self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), default=str
        )

    def content_hash(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def param_defaults(self) -> dict[str, Any]:
        """`params` values may be plain values or Airflow Param shapes with a default."""
        defaults: dict[str, Any] = {}
        for name, value in self.params.items():
            if isinstance(value, dict) and ("default" in value or "type" in value):
                defaults[name] = value.get("default")
            else:
                defaults[name] = value
        return defaults


class DagSpecError(ValueError):
    """Every problem found in a spec, each with the location of the field it concerns."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field_path(e['loc'])}: {e['msg']}" for e in errors))


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """("tasks", 1, "upstream") -> "tasks[1].upstream": how a person names the field."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(spec)"


def parse_dag_spec(data: Any) -> DagSpec:
    if not isinstance(data, dict):
        raise DagSpecError(
            [{"loc": (), "msg": "a DAG spec must be a JSON object", "type": "dict_type"}]
        )
    _apply_default_args(data)
    try:
        spec = DagSpec.model_validate(data)
    except ValidationError as exc:
        raise DagSpecError(
            [
                {"loc": tuple(err["loc"]), "msg": err["msg"], "type": err["type"]}
                for err in exc.errors(include_url=False, include_context=False)
            ]
        ) from None
    errors = _graph_errors(spec)
    if errors:
        raise DagSpecError(errors)
    return spec


def _apply_default_args(data: dict[str, Any]) -> None:
    """Copies default_args into tasks that do not set the field (Airflow's precedence:
    a task's own argument wins). Malformed input is left for validation to report."""
    defaults = data.get("default_args")
    tasks = data.get("tasks")
    if not isinstance(defaults, dict) or not isinstance(tasks, list):
        return
    try:
        checked = TaskDefaults.model_validate(defaults)
    except ValidationError:
        return
    values = checked.model_dump(exclude_none=True)
    for task in tasks:
        if isinstance(task, dict):
            for key in values:
                task.setdefault(key, defaults[key])


def _graph_errors(spec: DagSpec) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for index, task in enumerate(spec.tasks):
        if task.task_id in seen:
            errors.append(
                {
                    "loc": ("tasks", index, "task_id"),
                    "msg": f"task_id {task.task_id!r} is used by tasks[{seen[task.task_id]}] too",
                    "type": "duplicate_task_id",
                }
            )
        seen.setdefault(task.task_id, index)
    for index, task in enumerate(spec.tasks):
        for upstream_id in task.upstream:
            if upstream_id not in seen:
                errors.append(
                    {
                        "loc": ("tasks", index, "upstream"),
                        "msg": f"task {task.task_id!r} depends on unknown task {upstream_id!r}",
                        "type": "unknown_task",
                    }
                )
    if errors:
        return errors
    sorter = graphlib.TopologicalSorter({t.task_id: t.upstream for t in spec.tasks})
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        cycle = list(exc.args[1])  # in flow order: each task runs before the next
        errors.append(
            {
                "loc": ("tasks",),
                "msg": "cycle between tasks: " + " -> ".join(cycle),
                "type": "cycle",
            }
        )
    return errors
