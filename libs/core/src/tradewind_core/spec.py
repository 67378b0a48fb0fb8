"""The DAG spec: the product's main input, a JSON (or YAML) document whose field names
follow Airflow's own argument names. Pure code: parsing, validation, the task graph.

`parse_dag_spec` is the one entry point; it returns a `DagSpec` or raises `DagSpecError`
listing every problem with the location of the field it concerns.
"""

from __future__ import annotations

import ast
import graphlib
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from tradewind_core.priority import WeightRule, effective_weights
from tradewind_core.task_groups import TaskGroupSpec, expand_task_groups
from tradewind_core.timetables import ScheduleError, Timetable, make_timetable, parse_timezone
from tradewind_core.trigger_rules import TriggerRule

# Airflow's KEY_REGEX, and its 250-character limit on ids.
ID_PATTERN = r"^[A-Za-z0-9_.\-]{1,250}$"
QUEUE_PATTERN = r"^[A-Za-z0-9_.\-]{1,100}$"
# What storage and the protos carry: an int32, and a duration that stays inside the calendar
# once added to any date a run can have (Airflow's own limits are no tighter).
INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)
MAX_DURATION = timedelta(days=3650)
Seconds = Annotated[timedelta, Field(ge=timedelta(0), le=MAX_DURATION)]
Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]
Count = Annotated[int, Field(ge=1, le=INT32_MAX)]
POOL_PATTERN = r"^[A-Za-z0-9_.\-]{1,256}$"
# `module:function`, dotted on both sides (Airflow's own import-string shape).
CALLABLE_PATTERN = r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$"
# A module path inside a code bundle: package folders and a .py file, nothing else.
BUNDLE_PATH_PATTERN = r"^([A-Za-z_]\w*/){0,10}[A-Za-z_]\w*\.py$"
CODE_BUNDLE_MAX_BYTES = 1024 * 1024
CODE_BUNDLE_MAX_FILES = 200


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
    pool: Annotated[str, Field(pattern=POOL_PATTERN)] | None = None
    pool_slots: Count | None = None
    priority_weight: Int32 | None = None
    weight_rule: WeightRule | None = None
    queue: Annotated[str, Field(pattern=QUEUE_PATTERN)] | None = None
    depends_on_past: bool | None = None
    wait_for_downstream: bool | None = None
    max_active_tis_per_dag: Count | None = None
    max_active_tis_per_dagrun: Count | None = None


class TaskBase(_Strict):
    """Fields every operator has: identity, dependencies, retries, limits and placement.
    Each operator subclasses it and adds its own fields and `operator` literal."""

    task_id: Annotated[str, Field(pattern=ID_PATTERN)]
    upstream: list[str] = Field(default_factory=list)
    # Joins a task group (see task_groups.py); expanded at parse time, so always None in
    # a parsed spec.
    task_group: str | None = None
    task_display_name: str | None = None
    doc_md: str | None = None
    owner: str = "tradewind"
    retries: Annotated[int, Field(ge=0, le=100)] = 0
    retry_delay: Seconds = timedelta(seconds=300)
    retry_exponential_backoff: bool = False
    max_retry_delay: Seconds | None = None
    execution_timeout: Seconds | None = None
    trigger_rule: TriggerRule = TriggerRule.ALL_SUCCESS
    pool: Annotated[str, Field(pattern=POOL_PATTERN)] = "default_pool"
    pool_slots: Count = 1
    priority_weight: Int32 = 1
    # How priority_weight adds up along the graph (see tradewind_core.priority).
    weight_rule: WeightRule = WeightRule.DOWNSTREAM
    queue: Annotated[str, Field(pattern=QUEUE_PATTERN)] = "default"
    # Airflow's meaning: the same task in the previous run (by logical date) must have
    # succeeded or been skipped; wait_for_downstream also waits for that instance's
    # immediate downstream tasks (and implies depends_on_past).
    depends_on_past: bool = False
    wait_for_downstream: bool = False
    # Queued and running instances of this task across all runs / within one run.
    max_active_tis_per_dag: Count | None = None
    max_active_tis_per_dagrun: Count | None = None


class BashTask(TaskBase):
    operator_name: ClassVar[str] = "BashOperator"
    template_fields: ClassVar[tuple[str, ...]] = ("bash_command", "env", "cwd")

    operator: Literal["bash"]
    bash_command: Annotated[str, Field(min_length=1)]
    env: dict[str, str] | None = None
    append_env: bool = True
    cwd: str | None = None
    # Airflow's BashOperator marks the task skipped when the command exits with these.
    skip_on_exit_code: int | list[int] | None = 99

    def skip_exit_codes(self) -> set[int]:
        code = self.skip_on_exit_code
        if code is None:
            return set()
        return {code} if isinstance(code, int) else set(code)


class PythonTask(TaskBase):
    """Calls `python_callable` in a process of its own; its return value becomes the
    `return_value` XCom. The module comes from the DAG's code bundle or the worker's path."""

    operator_name: ClassVar[str] = "PythonOperator"
    template_fields: ClassVar[tuple[str, ...]] = ("op_args", "op_kwargs")

    operator: Literal["python"]
    python_callable: Annotated[str, Field(pattern=CALLABLE_PATTERN, max_length=500)]
    op_args: list[Any] = Field(default_factory=list)
    op_kwargs: dict[str, Any] = Field(default_factory=dict)
    # Set from the DAG's `code` when the spec is parsed (never by hand): how workers find
    # the bundle without the source riding in every task message.
    code_hash: str | None = None


class HttpTask(TaskBase):
    """One HTTP request; the response body (capped) becomes the `return_value` XCom."""

    operator_name: ClassVar[str] = "HttpOperator"
    template_fields: ClassVar[tuple[str, ...]] = ("url", "headers", "data")

    operator: Literal["http"]
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = "POST"
    url: Annotated[str, Field(min_length=1, max_length=8000)]
    headers: dict[str, str] = Field(default_factory=dict)
    # A string is sent as it is; an object or a list is sent as JSON.
    data: str | dict[str, Any] | list[Any] | None = None
    # None accepts any 2xx, as Airflow's HttpOperator does.
    accepted_status_codes: list[Annotated[int, Field(ge=100, le=599)]] | None = None
    timeout: Annotated[timedelta, Field(gt=timedelta(0), le=timedelta(hours=24))] = timedelta(
        seconds=60
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://", "{{")):
            raise ValueError("url must start with http:// or https://")
        return value


class EmptyTask(TaskBase):
    """No work (Airflow's EmptyOperator): the dispatcher records it as succeeded at once,
    without sending it to a worker."""

    operator_name: ClassVar[str] = "EmptyOperator"
    template_fields: ClassVar[tuple[str, ...]] = ()

    operator: Literal["empty"]


# One member per operator; new operators join this union (discriminated by `operator`).
TaskSpec = Annotated[BashTask | PythonTask | HttpTask | EmptyTask, Field(discriminator="operator")]


OPERATOR_NAMES = {
    cls.model_fields["operator"].annotation.__args__[0]: cls.operator_name
    for cls in (BashTask, PythonTask, HttpTask, EmptyTask)
}


class CodeBundle(_Strict):
    """Python source uploaded with the DAG: module path -> source. Workers fetch it by
    content hash and import from it, so a DAG created over HTTP needs no deployed files."""

    files: Annotated[dict[str, str], Field(min_length=1, max_length=CODE_BUNDLE_MAX_FILES)]

    @field_validator("files")
    @classmethod
    def _bounded(cls, files: dict[str, str]) -> dict[str, str]:
        size = sum(len(path) + len(source.encode()) for path, source in files.items())
        if size > CODE_BUNDLE_MAX_BYTES:
            raise ValueError(
                f"the code bundle is {size} bytes; at most {CODE_BUNDLE_MAX_BYTES} are accepted"
            )
        for path in files:
            if not re.match(BUNDLE_PATH_PATTERN, path):
                raise ValueError(
                    f"{path!r} is not a module path (folders of identifiers and a .py file, "
                    "e.g. sales/jobs.py)"
                )
        return files

    def content_hash(self) -> str:
        return bundle_hash(self.files)

    def syntax_errors(self) -> list[dict[str, Any]]:
        errors = []
        for path, source in sorted(self.files.items()):
            try:
                ast.parse(source, filename=path)
            except SyntaxError as exc:
                errors.append(
                    {
                        "loc": ("code", "files", path),
                        "msg": f"{path} line {exc.lineno}: {exc.msg}",
                        "type": "python_syntax",
                    }
                )
            except ValueError as exc:  # e.g. a NUL byte in the source
                errors.append(
                    {
                        "loc": ("code", "files", path),
                        "msg": f"{path}: {exc}",
                        "type": "python_syntax",
                    }
                )
        return errors


def bundle_hash(files: dict[str, str]) -> str:
    canonical = json.dumps(files, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class DagSpec(_Strict):
    dag_id: Annotated[str, Field(pattern=ID_PATTERN)]
    dag_display_name: str | None = None
    description: str | None = None
    doc_md: str | None = None
    # Cron, a preset, an interval (seconds, or an ISO 8601 duration), or null: see
    # tradewind_core.timetables. Checked together with timezone and start_date.
    schedule: (
        str | Annotated[int, Field(strict=True)] | Annotated[float, Field(strict=True)] | None
    ) = None
    timezone: str = "UTC"
    start_date: datetime | None = None
    end_date: datetime | None = None
    catchup: bool = False
    tags: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)
    default_args: TaskDefaults = Field(default_factory=TaskDefaults)
    max_active_runs: Count = 16
    max_active_tasks: Count = 16
    # Seconds a run may run before it fails (its unfinished tasks skipped); bounded so
    # that start + timeout stays a storable date.
    dagrun_timeout: (
        Annotated[timedelta, Field(gt=timedelta(0), le=timedelta(days=36500))] | None
    ) = None
    is_paused_upon_creation: bool | None = None
    code: CodeBundle | None = None
    tasks: Annotated[list[TaskSpec], Field(min_length=1)]
    # Expanded into the tasks at parse time, so always empty in a parsed spec.
    task_groups: list[TaskGroupSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _link_code(self) -> DagSpec:
        code_hash = self.code.content_hash() if self.code else None
        for task in self.tasks:
            if isinstance(task, PythonTask):
                task.code_hash = code_hash
        return self

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            parse_timezone(value)
        except ScheduleError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("start_date", "end_date")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @cached_property
    def timetable(self) -> Timetable:
        return make_timetable(self.schedule, timezone=self.timezone, start_date=self.start_date)

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

    @cached_property
    def priority_weights(self) -> dict[str, int]:
        """Each task's effective priority weight under its weight_rule."""
        return effective_weights(
            {t.task_id: t.upstream for t in self.tasks},
            {t.task_id: t.priority_weight for t in self.tasks},
            {t.task_id: t.weight_rule for t in self.tasks},
        )

    @cached_property
    def roots(self) -> list[str]:
        return [t.task_id for t in self.tasks if not t.upstream]

    @cached_property
    def past_dependent(self) -> list[str]:
        """Tasks whose instances wait on the same task in the previous run."""
        return [t.task_id for t in self.tasks if t.depends_on_past or t.wait_for_downstream]

    @cached_property
    def topological_position(self) -> dict[str, int]:
        return {task_id: i for i, task_id in enumerate(self.topological_order())}

    def leaves(self) -> list[str]:
        return self._leaves

    @cached_property
    def _leaves(self) -> list[str]:
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
    group_errors = expand_task_groups(data)
    if group_errors:
        raise DagSpecError(group_errors)
    try:
        spec = DagSpec.model_validate(data)
    except ValidationError as exc:
        raise DagSpecError(
            [
                {"loc": _task_field(err), "msg": err["msg"], "type": err["type"]}
                for err in exc.errors(include_url=False, include_context=False)
            ]
        ) from None
    errors = (
        _schedule_errors(spec)
        + _graph_errors(spec)
        + (spec.code.syntax_errors() if spec.code else [])
    )
    if errors:
        raise DagSpecError(errors)
    return spec


_OPERATORS = set(OPERATOR_NAMES)


def _task_field(err: Any) -> tuple[Any, ...]:
    """The union puts the operator in the path (tasks.0.bash.env); people name the field
    without it (tasks[0].env), and an unknown operator is the `operator` field's fault."""
    loc = tuple(err["loc"])
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        return (*loc, "operator")
    if len(loc) > 2 and loc[0] == "tasks" and loc[2] in _OPERATORS:
        return loc[:2] + loc[3:]
    return loc


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


def _schedule_errors(spec: DagSpec) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    try:
        spec.timetable  # noqa: B018  built once here, so later use cannot fail
    except ScheduleError as exc:
        errors.append({"loc": ("schedule",), "msg": str(exc), "type": "schedule"})
    if spec.start_date and spec.end_date and spec.end_date < spec.start_date:
        errors.append(
            {
                "loc": ("end_date",),
                "msg": f"end_date {spec.end_date.isoformat()} is before start_date "
                f"{spec.start_date.isoformat()}",
                "type": "date_order",
            }
        )
    if spec.schedule == "@continuous" and spec.max_active_runs != 1:
        errors.append(
            {
                "loc": ("max_active_runs",),
                "msg": "a @continuous schedule runs one run at a time: max_active_runs must be 1",
                "type": "continuous_max_active_runs",
            }
        )
    return errors


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
