"""PythonOperator: calls `python_callable` (module:function) with op_args and op_kwargs
in a process of its own, taken from the spare interpreters. The module is imported from
the DAG's code bundle (fetched by hash, cached on disk) or from the worker's own path.
Its return value becomes the `return_value` XCom; raising tradewind.sdk.TaskSkipped
ends the try as skipped."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc

from tradewind_core.spec import PythonTask
from tradewind_worker.bundles import BundleError
from tradewind_worker.process_guard import process_guard
from tradewind_worker.runner import OnOutput, Outcome, RunningTask, context_environment, supervise
from tradewind_worker.templating import render_value

if TYPE_CHECKING:
    from tradewind_worker.operators import Attempt, TaskRuntime


async def run_python(
    task: PythonTask,
    context: dict[str, Any],
    on_output: OnOutput,
    handle: RunningTask,
    *,
    runtime: TaskRuntime,
    attempt: Attempt,
) -> Outcome:
    try:
        op_args = render_value(task.op_args, context)
        op_kwargs = render_value(task.op_kwargs, context)
    except Exception as exc:  # any error a template raises, e.g. {{ 1/0 }}
        return Outcome("failed", -1, f"cannot render the task's templates: {exc}")
    bundle_dir = None
    if task.code_hash:
        try:
            bundle_dir = str(await runtime.bundles.path(task.code_hash))
        except (grpc.aio.AioRpcError, BundleError, OSError) as exc:
            detail = exc.details() if isinstance(exc, grpc.aio.AioRpcError) else str(exc)
            return Outcome("failed", -1, f"cannot fetch the DAG's code bundle: {detail}")
    token = runtime.task_api.register(attempt.attempt_id, attempt.fencing_token)
    try:
        with tempfile.TemporaryDirectory(prefix="tradewind-") as scratch:
            if runtime.task_user is not None:
                runtime.task_user.give(scratch)  # the task writes its result there
            result_path = Path(scratch) / ".tradewind-result.json"
            request = {
                "python_callable": task.python_callable,
                "op_args": op_args,
                "op_kwargs": op_kwargs,
                "bundle_dir": bundle_dir,
                "cwd": scratch,
                "env": context_environment(context),
                "context": context,
                "task_api": runtime.task_api.path,
                "token": token,
                "result_path": str(result_path),
            }
            handle.process = process = await runtime.interpreters.take()
            guard = process_guard()
            guard.watch(process.pid)  # the task dies with the worker, even on SIGKILL
            try:
                assert process.stdin is not None
                process.stdin.write(json.dumps(request, default=str).encode() + b"\n")
                process.stdin.close()
                code = await supervise(handle, on_output, task.execution_timeout)
            finally:
                # The task is over: what it left behind in its group ends with it.
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                guard.release(process.pid)
            result = _read_result(result_path)
    finally:
        runtime.task_api.unregister(token)
    if handle.stopped_because:
        return Outcome("failed", code, handle.stopped_because)
    if result is None:
        return Outcome("failed", code or -1, f"the python process exited with code {code}")
    state = result.get("state")
    if state == "success":
        return Outcome("success", 0)
    return Outcome("skipped" if state == "skipped" else "failed", code, result.get("reason", ""))


def _read_result(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None
