"""The DAGs the bench runs and the three measurements, through the REST API only.

Timestamps: the client's clock just before the trigger POST is compared with task and run
dates the services record. Everything runs on this machine, so it is one clock.
"""

from __future__ import annotations

import itertools
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.cluster import api_auth
from bench.errors import BenchError

# Figures come from server-side timestamps, so polling only detects the end of a run;
# polling faster would load the api and scheduler under measurement.
POLL_INTERVAL_S = 0.1
CHAIN_LENGTH = 20
FANOUT_WIDTH = 200
TRUE = {"operator": "bash", "bash_command": "true"}


def _task(task_id: str, upstream: list[str] | None = None) -> dict[str, Any]:
    return {"task_id": task_id, **TRUE, "upstream": upstream or []}


# One task: trigger -> first task start without any graph work in the way.
# Lists are paged (Airflow's default page is 50); every DAG here has fewer than 1000 tasks.
ALL_TIS = {"limit": 1000}
SINGLE_DAG = {"dag_id": "bench_single", "tasks": [_task("t00")]}
# t00 -> t01 -> ... -> t19: each task starts only once its predecessor has finished.
CHAIN_DAG = {
    "dag_id": "bench_chain",
    "tasks": [_task(f"t{i:02d}", [f"t{i - 1:02d}"] if i else None) for i in range(CHAIN_LENGTH)],
}
# 200 independent tasks, all ready at once; 256 > 200 so the DAG's own limit (default 16)
# never throttles them and the figure shows the scheduler, dispatcher and workers.
FANOUT_DAG = {
    "dag_id": "bench_fanout",
    "max_active_tasks": 256,
    "tasks": [_task(f"t{i:03d}") for i in range(FANOUT_WIDTH)],
}
DAGS = (SINGLE_DAG, CHAIN_DAG, FANOUT_DAG)


# Rounded to microseconds, the dates' resolution, so the JSON shows no float noise.
def _ms(delta: timedelta) -> float:
    return round(delta.total_seconds() * 1000, 3)


def _s(delta: timedelta) -> float:
    return round(delta.total_seconds(), 6)


def _date(value: str | None, what: str) -> datetime:
    if not value:
        raise BenchError(f"{what} has no date")
    return datetime.fromisoformat(value)


@dataclass
class FinishedRun:
    triggered_at: datetime  # client clock, just before the trigger POST
    run: dict[str, Any]
    task_instances: dict[str, dict[str, Any]]  # by task_id

    def start(self, task_id: str) -> datetime:
        return _date(self.task_instances[task_id]["start_date"], f"task {task_id} start")

    def end(self, task_id: str) -> datetime:
        return _date(self.task_instances[task_id]["end_date"], f"task {task_id} end")


class Driver:
    """Registers the DAGs, triggers runs and polls them to their end."""

    def __init__(self, api_url: str) -> None:
        self._http = httpx.Client(auth=api_auth(), base_url=f"{api_url}/api/v2", timeout=30.0)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise BenchError(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        if response.is_error:
            raise BenchError(f"{method} {path}: HTTP {response.status_code}: {response.text}")
        return response.json()

    def register(self) -> None:
        for dag in DAGS:
            self._call("POST", "/dags", json=dag)

    def run(self, dag: dict[str, Any], timeout: float) -> FinishedRun:
        """Triggers one run, polls it every 20 ms until it ends; raises unless it succeeded."""
        dag_id = dag["dag_id"]
        run_id = f"bench-{uuid.uuid4().hex[:12]}"
        path = f"/dags/{dag_id}/dagRuns"
        triggered_at = datetime.now(UTC)
        self._call("POST", path, json={"dag_run_id": run_id})
        deadline = time.monotonic() + timeout
        while True:
            run = self._call("GET", f"{path}/{run_id}")
            if run["state"] in ("success", "failed"):
                break
            if time.monotonic() > deadline:
                raise BenchError(
                    f"{dag_id}/{run_id}: still {run['state']} after {timeout:.0f} s"
                    f" ({self._states(path, run_id)})"
                )
            time.sleep(POLL_INTERVAL_S)
        if run["state"] != "success":
            states = self._states(path, run_id)
            raise BenchError(f"{dag_id}/{run_id} ended {run['state']} ({states})")
        tis = self._call("GET", f"{path}/{run_id}/taskInstances", params=ALL_TIS)["task_instances"]
        return FinishedRun(triggered_at, run, {ti["task_id"]: ti for ti in tis})

    def _states(self, path: str, run_id: str) -> str:
        """How many task instances are in each state: what a failure report needs."""
        tis = self._call("GET", f"{path}/{run_id}/taskInstances", params=ALL_TIS)["task_instances"]
        counts: dict[str, int] = {}
        for ti in tis:
            counts[str(ti["state"])] = counts.get(str(ti["state"]), 0) + 1
        return "task instances: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))


# -- measurements: each returns raw samples; the caller summarises ---------------------


def trigger_to_first_start_ms(driver: Driver, repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        run = driver.run(SINGLE_DAG, timeout=60)
        samples.append(_ms(run.start("t00") - run.triggered_at))
    return samples


def task_to_task_ms(driver: Driver, repeats: int) -> list[float]:
    """start(next) - end(prev) for each of the 19 consecutive pairs of each chain run."""
    ids = [task["task_id"] for task in CHAIN_DAG["tasks"]]
    samples = []
    for _ in range(repeats):
        run = driver.run(CHAIN_DAG, timeout=120)
        samples += [_ms(run.start(nxt) - run.end(prev)) for prev, nxt in itertools.pairwise(ids)]
    return samples


def fanout_wall_s(driver: Driver, repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        run = driver.run(FANOUT_DAG, timeout=300)
        end = _date(run.run["end_date"], "fan-out run end")
        samples.append(_s(end - run.triggered_at))
    return samples
