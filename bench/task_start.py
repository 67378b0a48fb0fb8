"""Task start overhead: from the worker holding a task (its message received and its
attempt claimed) to the first line of the task's own code running, for bash and python
tasks. Measured in this process with the worker's own runtime (real subprocesses and
spare interpreters), one task at a time, so the figure is the worker's overhead alone:
rendering, process start, and for python the handover to a spare interpreter. Python is
also measured without spares (a fresh interpreter per task) to show what they save."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.stats import median
from tradewind_core.spec import BashTask, PythonTask
from tradewind_worker.interpreters import Interpreters
from tradewind_worker.metrics import WorkerMetrics
from tradewind_worker.operators import Attempt, TaskRuntime, run_task
from tradewind_worker.runner import RunningTask
from tradewind_worker.task_api import TaskApi

CONTEXT: dict[str, Any] = {
    "dag_id": "bench",
    "run_id": "r",
    "ds": "2026-01-01",
    "logical_date": None,
    "params": {},
    "task": {"task_id": "t"},
    "ti": {"try_number": 1},
    "dag_run": {"conf": {}},
}
PROBE = (
    "import time\n\n"
    "def probe(path):\n"
    "    with open(path, 'w') as f:\n"
    "        f.write(repr(time.time()))\n"
)


async def _overheads(task: Any, runtime: TaskRuntime, stamp: Path, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        await asyncio.sleep(0.3)  # spares replaced, as on a worker between deliveries
        stamp.unlink(missing_ok=True)  # noqa: ASYNC240 - between measurements
        started = time.time()
        outcome = await run_task(
            task,
            CONTEXT,
            lambda _line: None,
            RunningTask(),
            runtime=runtime,
            attempt=Attempt("bench", "bench"),
        )
        if outcome.state != "success":
            raise RuntimeError(f"the probe task failed: {outcome.reason}")
        ran_at = float(stamp.read_text())  # noqa: ASYNC240 - after the measurement
        samples.append(round((ran_at - started) * 1000, 3))
    return samples


async def _measure(count: int) -> dict[str, list[float]]:
    folder = Path(tempfile.mkdtemp(prefix="tradewind-bench-start-"))
    (folder / "bench_probe.py").write_text(PROBE)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(folder), *sys.path])
    stamp = folder / "stamp"
    results = {}
    api = TaskApi(client=None)  # type: ignore[arg-type]  # the probe pushes no XCom
    await api.start()
    for label, spares in (("python", 2), ("python_fresh_interpreter", 0)):
        interpreters = Interpreters(spares=spares, preload=[], cwd=folder)
        runtime = TaskRuntime(
            client=None,  # type: ignore[arg-type]
            task_api=api,
            bundles=None,  # type: ignore[arg-type]
            interpreters=interpreters,
            http_response_max_bytes=0,
            metrics=WorkerMetrics(slots=1, slots_in_use=lambda: 0),
        )
        if label == "python":
            bash = BashTask(task_id="t", operator="bash", bash_command=f"date +%s.%N > {stamp}")
            results["bash"] = await _overheads(bash, runtime, stamp, count)
        python = PythonTask(
            task_id="t",
            operator="python",
            python_callable="bench_probe:probe",
            op_args=[str(stamp)],
        )
        await asyncio.sleep(1.0)  # spares start once; a running worker has them ready
        results[label] = await _overheads(python, runtime, stamp, count)
        await interpreters.close()
    await api.close()
    return results


def measure(count: int) -> dict[str, dict[str, Any]]:
    samples = asyncio.run(_measure(count))
    return {name: {"median_ms": round(median(s), 3), "samples": s} for name, s in samples.items()}
