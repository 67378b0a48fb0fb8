"""Runs one bash task as a subprocess: renders its templates, streams its output, enforces
its execution_timeout, and maps its exit to an outcome the way Airflow's BashOperator does."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from tradewind_core.spec import BashTask

_templates = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True)
KILL_GRACE = 5.0


@dataclass(frozen=True)
class Outcome:
    state: str  # success, failed or skipped
    exit_code: int
    reason: str = ""


class RunningTask:
    def __init__(self) -> None:
        self.process: asyncio.subprocess.Process | None = None
        self.stopped_because: str = ""

    @property
    def pid(self) -> int:
        return self.process.pid if self.process else 0

    def stop(self, because: str) -> None:
        """Ends the task's whole process group (bash and whatever it started)."""
        self.stopped_because = self.stopped_because or because
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)


def render(template: str, context: dict[str, Any]) -> str:
    return _templates.from_string(template).render(**context)


def task_environment(task: BashTask, context: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ) if task.append_env or not task.env else {}
    env.update({name: render(value, context) for name, value in (task.env or {}).items()})
    ids = {
        "DAG_ID": context.get("dag_id", ""),
        "TASK_ID": context.get("task", {}).get("task_id", ""),
        "DAG_RUN_ID": context.get("run_id", ""),
        "TRY_NUMBER": str(context.get("ti", {}).get("try_number", "")),
        "LOGICAL_DATE": context.get("logical_date") or "",
    }
    for name, value in ids.items():
        env[f"TRADEWIND_CTX_{name}"] = str(value)
        env[f"AIRFLOW_CTX_{name}"] = str(value)  # scripts written for Airflow keep working
    return env


async def run_bash(
    task: BashTask,
    context: dict[str, Any],
    on_output: Callable[[str], Awaitable[None] | None],
    handle: RunningTask,
) -> Outcome:
    # The template fields, as BashOperator's: bash_command, env and cwd.
    try:
        command = render(task.bash_command, context)
        env = task_environment(task, context)
        cwd = render(task.cwd, context) if task.cwd else None
    except TemplateError as exc:
        return Outcome("failed", -1, f"cannot render the task's templates: {exc}")
    with tempfile.TemporaryDirectory(prefix="tradewind-") as scratch:
        handle.process = await asyncio.create_subprocess_exec(
            "bash",
            "-c",
            command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            cwd=cwd or scratch,
            env=env,
            start_new_session=True,  # its own process group, so a stop reaches its children
        )
        timeout = task.execution_timeout.total_seconds() if task.execution_timeout else None
        try:
            await asyncio.wait_for(_pump(handle.process, on_output), timeout=timeout)
        except TimeoutError:
            handle.stop(f"execution_timeout of {timeout:g}s exceeded")
            try:
                await asyncio.wait_for(handle.process.wait(), KILL_GRACE)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(handle.process.pid, signal.SIGKILL)
                await handle.process.wait()
    code = handle.process.returncode
    assert code is not None
    if handle.stopped_because:
        return Outcome("failed", code, handle.stopped_because)
    if code == 0:
        return Outcome("success", 0)
    if code in task.skip_exit_codes():
        return Outcome("skipped", code, f"exit code {code} means skip")
    return Outcome("failed", code, f"bash command exited with code {code}")


async def _pump(process: asyncio.subprocess.Process, on_output: Callable[..., Any]) -> None:
    assert process.stdout is not None
    async for line in process.stdout:
        result = on_output(line.decode(errors="replace"))
        if asyncio.iscoroutine(result):
            await result
    await process.wait()
