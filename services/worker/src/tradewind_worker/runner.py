"""Runs one bash task as a subprocess: renders its templates, streams its output, enforces
its execution_timeout, and maps its exit to an outcome the way Airflow's BashOperator does.

Process lifetime: the task runs in its own process group, so stopping it (timeout,
cancel, lost lease, shutdown) reaches whatever it started: SIGTERM to the group, SIGKILL
after a grace period. When the task ends, what it left running in its group is killed.
The group is registered with the worker's process guard (process_guard.py) while the
task runs, so a task never outlives its worker, even one killed by SIGKILL.

Environment: the worker's own configuration (TRADEWIND_* settings, broker and database
URLs) is never passed on; a task sees its own `env`, the worker's other variables unless
`env` replaces them, and the documented context variables.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tradewind_core.spec import BashTask
from tradewind_worker.output_lines import READ_BYTES, LineSplitter
from tradewind_worker.process_guard import process_guard
from tradewind_worker.task_user import TaskUser
from tradewind_worker.templating import render

KILL_GRACE = 5.0
CONTEXT_PREFIXES = ("TRADEWIND_CTX_", "AIRFLOW_CTX_")
# Called with each line of output and the stream it came from ("stdout" or "stderr").
OnOutput = Callable[[str, str], Awaitable[None] | None]


@dataclass(frozen=True)
class Outcome:
    state: str  # success, failed or skipped
    exit_code: int
    reason: str = ""


class RunningTask:
    def __init__(self, kill_grace: float = KILL_GRACE) -> None:
        self._process: asyncio.subprocess.Process | None = None
        self._in_worker = False
        # Set when the task's code starts: its pid is known from then on.
        self.started = asyncio.Event()
        self.stopped_because: str = ""
        self._kill_grace = kill_grace
        self._killer: asyncio.TimerHandle | None = None

    @property
    def process(self) -> asyncio.subprocess.Process | None:
        return self._process

    @process.setter
    def process(self, process: asyncio.subprocess.Process | None) -> None:
        self._process = process
        if process is not None:
            self.started.set()

    def started_in_worker(self) -> None:
        """The task runs in the worker's own process (an http request): its pid is ours."""
        self._in_worker = True
        self.started.set()

    @property
    def pid(self) -> int:
        if self._process is not None:
            return self._process.pid
        return os.getpid() if self._in_worker else 0

    def stop(self, because: str) -> None:
        """Ends the task's whole process group (bash and whatever it started): SIGTERM
        now, SIGKILL if it is still there after the grace period."""
        self.stopped_because = self.stopped_because or because
        if self.process is None or self.process.returncode is not None:
            return
        self._signal(signal.SIGTERM)
        if self._killer is None:
            loop = asyncio.get_running_loop()
            self._killer = loop.call_later(self._kill_grace, self._signal, signal.SIGKILL)

    def _signal(self, sig: signal.Signals) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, sig)

    def ended(self) -> None:
        if self._killer is not None:
            self._killer.cancel()


def inheritable_environment(
    environ: Mapping[str, str], secrets: Iterable[str] = ()
) -> dict[str, str]:
    """The worker's environment less its own configuration: every TRADEWIND_ variable
    (context variables are set per task) and any variable holding one of `secrets`
    (the broker and database URLs the worker's settings hold, whatever their name)."""
    hidden = [s for s in secrets if s]
    return {
        name: value
        for name, value in environ.items()
        if not name.startswith(("TRADEWIND_", *CONTEXT_PREFIXES))
        and not any(secret in value for secret in hidden)
    }


def task_environment(
    task: BashTask, context: dict[str, Any], inherited: Mapping[str, str] | None = None
) -> dict[str, str]:
    if inherited is None:
        inherited = inheritable_environment(os.environ)
    env = dict(inherited) if task.append_env or not task.env else {}
    env.update({name: render(value, context) for name, value in (task.env or {}).items()})
    env.update(context_environment(context))
    return env


def context_environment(context: dict[str, Any]) -> dict[str, str]:
    """The ids of the running task as environment variables, under both prefixes."""
    env = {}
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
    on_output: OnOutput,
    handle: RunningTask,
    *,
    inherited: Mapping[str, str] | None = None,
    as_user: TaskUser | None = None,
) -> Outcome:
    """Never raises for a task that cannot start: that is a failed outcome with its reason.
    `as_user`: the user the task runs as, when not the worker's own."""
    # The template fields, as BashOperator's: bash_command, env and cwd.
    try:
        command = render(task.bash_command, context)
        env = task_environment(task, context, inherited)
        cwd = render(task.cwd, context) if task.cwd else None
    except Exception as exc:  # any error a template raises, e.g. {{ 1/0 }}
        return Outcome("failed", -1, f"cannot render the task's templates: {describe(exc)}")
    guard = process_guard()
    argv = ["bash", "-c", command]
    if as_user is not None:
        env = {**env, **as_user.environment()}
        argv = as_user.command(argv)
    with tempfile.TemporaryDirectory(prefix="tradewind-") as scratch:
        if as_user is not None:
            as_user.give(scratch)
        try:
            handle.process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=cwd or scratch,
                env=env,
                start_new_session=True,  # its own process group, so a stop reaches its children
            )
        except (OSError, ValueError) as exc:  # bad cwd, NUL byte in env or command, no bash
            return Outcome("failed", -1, f"cannot start the task: {describe(exc)}")
        group = handle.process.pid
        guard.watch(group)
        try:
            code = await supervise(handle, on_output, task.execution_timeout)
        finally:
            # The task is over: what it left behind in its group ends with it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)
            guard.release(group)
    if handle.stopped_because:
        return Outcome("failed", code, handle.stopped_because)
    if code == 0:
        return Outcome("success", 0)
    if code in task.skip_exit_codes():
        return Outcome("skipped", code, f"exit code {code} means skip")
    return Outcome("failed", code, f"bash command exited with code {code}")


async def supervise(handle: RunningTask, on_output: OnOutput, timeout: Any) -> int:
    """Streams the task process's output until it exits, stopping its process group at
    `execution_timeout` (TERM, then KILL after the grace). Returns its exit code."""
    assert handle.process is not None
    seconds = timeout.total_seconds() if timeout else None
    try:
        try:
            await asyncio.wait_for(_pump(handle.process, on_output), timeout=seconds)
        except TimeoutError:
            handle.stop(f"execution_timeout of {seconds:g}s exceeded")
            await handle.process.wait()
    finally:
        handle.ended()
    code = handle.process.returncode
    assert code is not None
    return code


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


async def _pump(process: asyncio.subprocess.Process, on_output: OnOutput) -> None:
    """Reads both streams to their end, each line tagged with its stream."""
    readers = [_read(process.stdout, "stdout", on_output)]
    if process.stderr is not None:
        readers.append(_read(process.stderr, "stderr", on_output))
    await asyncio.gather(*readers)
    await process.wait()


async def _read(reader: asyncio.StreamReader | None, name: str, on_output: OnOutput) -> None:
    assert reader is not None
    lines = LineSplitter()
    while True:
        chunk = await reader.read(READ_BYTES)
        for line in lines.feed(chunk) if chunk else lines.close():
            result = on_output(line, name)
            if asyncio.iscoroutine(result):
                await result
        if not chunk:
            break
