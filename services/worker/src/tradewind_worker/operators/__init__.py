"""Runs a task by its operator. Each operator maps its work to an Outcome the way its
Airflow namesake does; what they share (the attempt, the task API, bundles, spare
interpreters) comes in a TaskRuntime."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter

from tradewind_core.spec import BashTask, EmptyTask, HttpTask, PythonTask, TaskSpec
from tradewind_worker.bundles import BundleCache
from tradewind_worker.client import ExecutionClient
from tradewind_worker.interpreters import Interpreters
from tradewind_worker.metrics import WorkerMetrics
from tradewind_worker.runner import OnOutput, Outcome, RunningTask, run_bash
from tradewind_worker.task_api import TaskApi
from tradewind_worker.task_user import TaskUser

task_spec = TypeAdapter(TaskSpec)


@dataclass
class TaskRuntime:
    client: ExecutionClient
    task_api: TaskApi
    bundles: BundleCache
    interpreters: Interpreters
    http_response_max_bytes: int
    metrics: WorkerMetrics
    # What every task may inherit of the worker's environment (its own settings removed).
    inherited: Mapping[str, str] = field(default_factory=dict)
    # Who tasks run as, when not the worker's own user.
    task_user: TaskUser | None = None


@dataclass(frozen=True)
class Attempt:
    attempt_id: str
    fencing_token: str


async def run_task(
    task: Any,
    context: dict[str, Any],
    on_output: OnOutput,
    handle: RunningTask,
    *,
    runtime: TaskRuntime,
    attempt: Attempt,
) -> Outcome:
    # Imported here: the operators' modules name TaskRuntime and Attempt from this one.
    from tradewind_worker.operators.http import run_http
    from tradewind_worker.operators.python import run_python

    if isinstance(task, BashTask):
        return await run_bash(
            task,
            context,
            on_output,
            handle,
            inherited=runtime.inherited,
            as_user=runtime.task_user,
        )
    if isinstance(task, PythonTask):
        return await run_python(task, context, on_output, handle, runtime=runtime, attempt=attempt)
    if isinstance(task, HttpTask):
        return await run_http(task, context, on_output, handle, runtime=runtime, attempt=attempt)
    if isinstance(task, EmptyTask):  # the dispatcher settles these; a stray one costs nothing
        return Outcome("success", 0)
    return Outcome("failed", -1, f"no operator runs {type(task).__name__}")
