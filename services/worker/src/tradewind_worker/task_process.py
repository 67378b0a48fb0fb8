"""The process a python task runs in: `python -m tradewind_worker.task_process [module...]`.

The worker starts it ahead of time (see interpreters.py): it imports the given modules,
then blocks reading its task from stdin, so a task pays neither for the interpreter's
start nor for those imports. It imports nothing heavy itself. It writes its outcome as
JSON to the result file the request names; stdout and stderr are the task's log.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import traceback
from typing import Any

from tradewind import sdk  # small, and every task may use it: imported ahead of the task


def _die_with_parent() -> None:
    """A task must not outlive the worker that runs it (Linux only; elsewhere the worker's
    process-group kill on shutdown serves)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _resolve(path: str) -> Any:
    module_name, _, attribute = path.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    return target


def _run(request: dict[str, Any]) -> dict[str, Any]:
    os.chdir(request["cwd"])
    os.environ.update(request["env"])
    if request.get("bundle_dir"):
        sys.path.insert(0, request["bundle_dir"])
    sdk._connect(request["task_api"], request["token"], request["context"])
    try:
        function = _resolve(request["python_callable"])
        value = function(*request["op_args"], **request["op_kwargs"])
        if value is not None:
            sdk.xcom_push("return_value", value)
    except sdk.TaskSkipped as exc:
        return {"state": "skipped", "reason": f"skipped: {exc}" if str(exc) else "skipped"}
    except BaseException as exc:  # noqa: BLE001 - whatever the task raised ends the try
        traceback.print_exc()
        return {"state": "failed", "reason": f"{type(exc).__name__}: {exc}"[:2000]}
    return {"state": "success"}


def main() -> int:
    _die_with_parent()
    for module in sys.argv[1:]:
        importlib.import_module(module)
    line = sys.stdin.buffer.readline()
    if not line:
        return 0  # the worker let this spare go unused
    request = json.loads(line)
    sys.stdin.close()
    # Output goes to a pipe, which Python would buffer in blocks: a line printed now must
    # reach the log now, not when the task ends.
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    outcome = _run(request)
    sys.stdout.flush()
    sys.stderr.flush()
    with open(request["result_path"], "w") as result:
        json.dump(outcome, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
