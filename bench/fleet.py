"""`python -m bench.fleet`: the worker fleet, distributed mode.

1. throughput: 1,000 independent no-op bash tasks (one run, max_active_tasks 1000)
   with 1, 2 and 4 workers (default concurrency each); tasks/s from trigger to the
   run's end;
2. recovery: a 40-task chain of `sleep 0.3` tasks runs; the scheduler, the dispatcher
   or the worker running the chain is killed (SIGKILL) and started again at once; the
   figure is from the restart to the next task start seen by the API.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.cleanup import cleanup
from bench.cluster import TRADEWIND, Cluster, Process
from bench.stats import median
from bench.workload import POLL_INTERVAL_S, Driver

TASKS = 1000
CHAIN = 40
THROUGHPUT_DAG = {
    "dag_id": "bench_thousand",
    "max_active_tasks": TASKS,
    "tasks": [
        {"task_id": f"t{i:04d}", "operator": "bash", "bash_command": "true"} for i in range(TASKS)
    ],
}
CHAIN_DAG = {
    "dag_id": "bench_recovery",
    "tasks": [
        {
            "task_id": f"t{i:02d}",
            "operator": "bash",
            "bash_command": "sleep 0.3",
            "upstream": [f"t{i - 1:02d}"] if i else [],
            "retries": 2,
            "retry_delay": 0,
        }
        for i in range(CHAIN)
    ],
}


def say(text: str) -> None:
    print(text, flush=True)


def _cluster(workers: int) -> Cluster:
    workdir = Path(tempfile.mkdtemp(prefix=f"tradewind-bench-fleet{workers}-"))
    cluster = Cluster.create("distributed", workdir)
    cluster.services = cluster.services[:3] + [
        (f"worker-{n}", "worker", {"TRADEWIND_WORKER_ID": f"bench-w{n}"})
        for n in range(1, workers + 1)
    ]
    cluster.expected_workers = workers
    return cluster


def _with_cluster(workers: int, body):
    cluster = _cluster(workers)
    try:
        cluster.start()
        cluster.wait_healthy()
        return body(cluster)
    finally:
        cluster.stop()
        if cluster.schema_prefix and cluster.broker_namespace:
            cleanup(cluster.schema_prefix, cluster.broker_namespace)
        shutil.rmtree(cluster.workdir, ignore_errors=True)


def throughput(workers: int) -> float:
    def body(cluster: Cluster) -> float:
        driver = Driver(cluster.api_url)
        try:
            driver._call("POST", "/dags", json=THROUGHPUT_DAG)
            run = driver.run(THROUGHPUT_DAG, timeout=600)
        finally:
            driver.close()
        end = datetime.fromisoformat(run.run["end_date"].replace("Z", "+00:00"))
        return TASKS / (end - run.triggered_at).total_seconds()

    return _with_cluster(workers, body)


def _restart(cluster: Cluster, name: str) -> None:
    proc = next(p for p in cluster.processes if p.name == name)
    os.killpg(proc.popen.pid, signal.SIGKILL)
    proc.popen.wait()
    cluster.processes.remove(proc)
    command, extra = next((c, e) for n, c, e in cluster.services if n == name)
    with proc.log.open("ab") as out:
        popen = subprocess.Popen(
            [str(TRADEWIND), command],
            env=cluster.env | extra,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    cluster.processes.append(Process(name, popen, proc.log))


def recovery(service: str) -> float:
    """Seconds from the restart of `service` to the next task start."""

    def body(cluster: Cluster) -> float:
        driver = Driver(cluster.api_url)
        path = f"/dags/{CHAIN_DAG['dag_id']}/dagRuns"
        try:
            driver._call("POST", "/dags", json=CHAIN_DAG)
            run_id = f"r{time.monotonic_ns()}"
            driver._call("POST", path, json={"dag_run_id": run_id})
            tis_path = f"{path}/{run_id}/taskInstances"
            while sum(t["state"] == "success" for t in _tis(driver, tis_path)) < 3:
                time.sleep(POLL_INTERVAL_S)
            # With one worker, worker-1 is the one running the chain.
            _restart(cluster, "worker-1" if service == "worker" else service)
            restarted = datetime.now(UTC)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    starts = [
                        datetime.fromisoformat(t["start_date"].replace("Z", "+00:00"))
                        for t in _tis(driver, tis_path)
                        if t.get("start_date")
                    ]
                except Exception:  # the api answers 503 while a service restarts
                    starts = []
                later = [s for s in starts if s > restarted]
                if later:
                    return (min(later) - restarted).total_seconds()
                time.sleep(POLL_INTERVAL_S)
            raise RuntimeError(f"no task started within 120 s of restarting {service}")
        finally:
            driver.close()

    # One worker for the worker case, so the killed worker is the one running the chain.
    return _with_cluster(1 if service == "worker" else 2, body)


def _tis(driver: Driver, path: str) -> list[dict]:
    return driver._call("GET", path, params={"limit": 1000})["task_instances"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fleet")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument(
        "--recover", nargs="*", default=["scheduler", "dispatcher", "worker"], metavar="SERVICE"
    )
    args = parser.parse_args(argv)
    rows = []
    for workers in args.workers:
        samples = [throughput(workers) for _ in range(args.repeats)]
        rows.append((f"{TASKS} no-op bash tasks, {workers} worker(s)", samples, "tasks/s"))
        say(f"   throughput, {workers} worker(s): {[round(s, 1) for s in samples]} tasks/s")
    for service in args.recover:
        samples = [recovery(service) for _ in range(args.repeats)]
        rows.append((f"recovery after a killed {service}", samples, "s"))
        say(f"   recovery, {service}: {[round(s, 2) for s in samples]} s")
    say("\n| measure | median | samples |\n| --- | --- | --- |")
    for name, samples, unit in rows:
        say(f"| {name} | {median(samples):.2f} {unit} | {[round(s, 2) for s in samples]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
