"""A schedule's lateness: from the moment a scheduled run is due (its `run_after`) to its
first task's start, over a DAG scheduled every 2 seconds (the same timetable code serves
cron: a firing is a firing)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.cluster import api_auth
from bench.errors import BenchError

INTERVAL_S = 2
DAG_ID = "bench_scheduled"


def _get(http: httpx.Client, path: str, **kwargs: Any) -> dict[str, Any]:
    response = http.get(path, **kwargs)
    if response.is_error:
        raise BenchError(f"GET {path}: HTTP {response.status_code}: {response.text}")
    return response.json()


def lateness_ms(api_url: str, samples: int, timeout: float = 120.0) -> list[float]:
    """Lets `samples` scheduled runs happen, then pauses the DAG; one figure per run."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    dag = {
        "dag_id": DAG_ID,
        "schedule": INTERVAL_S,
        "start_date": start.isoformat(),
        "tasks": [{"task_id": "t00", "operator": "bash", "bash_command": "true"}],
    }
    with httpx.Client(auth=api_auth(), base_url=f"{api_url}/api/v2", timeout=30.0) as http:
        created = http.post("/dags", json=dag)
        if created.is_error:
            raise BenchError(f"POST /dags: HTTP {created.status_code}: {created.text}")
        deadline = time.monotonic() + timeout
        try:
            while True:
                runs = _get(http, f"/dags/{DAG_ID}/dagRuns", params={"limit": 1000})["dag_runs"]
                done = [r for r in runs if r["state"] in ("success", "failed")]
                if len(done) >= samples:
                    break
                if time.monotonic() > deadline:
                    raise BenchError(f"{len(done)} of {samples} scheduled runs after {timeout} s")
                time.sleep(0.5)
        finally:
            http.patch(f"/dags/{DAG_ID}", json={"is_paused": True})
        figures = []
        for run in sorted(done, key=lambda r: r["logical_date"])[:samples]:
            if run["state"] != "success" or run["run_type"] != "scheduled":
                raise BenchError(f"{run['dag_run_id']}: {run['run_type']} run ended {run['state']}")
            path = f"/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}/taskInstances/t00"
            started = datetime.fromisoformat(_get(http, path)["start_date"])
            due = datetime.fromisoformat(run["run_after"])
            figures.append(round((started - due).total_seconds() * 1000, 3))
    return figures
