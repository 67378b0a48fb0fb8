"""`python -m bench.api_load`: the public API under load, 100 concurrent clients.

Per mode (standalone, distributed) and per transport leg (REST today; a gRPC leg plugs
in as another `Leg` with the same three calls), for each call in turn:

  get-DAG                GET  /dags/{dag_id}
  list-task-instances    GET  /dags/{dag_id}/dagRuns/{run}/taskInstances (20 tasks)
  trigger                POST /dags/{dag_id}/dagRuns, a new run id each time

CLIENTS clients call back to back for WARMUP_S (not measured: connections open, caches
fill), then for DURATION_S; the figures are completed calls per second and the p50 and
p99 latency of the calls that succeeded. Failed calls are counted and shown; more than
MAX_ERROR_RATE of them fails the bench.
The load generator is one asyncio process on the same machine as Tradewind, so on a small
machine the figures are a floor: the client takes its share of the CPUs.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import httpx

from bench.cleanup import cleanup
from bench.cluster import Cluster, api_auth
from bench.errors import BenchError
from bench.stats import percentile

CLIENTS = 100
MAX_ERROR_RATE = 0.01
WARMUP_S = 3.0
DURATION_S = 10.0
QUICK_DURATION_S = 3.0
RESULTS = Path(__file__).resolve().parent / "results" / "api_load.json"
DAG_ID = "bench_api"
# Empty tasks finish in the scheduler, so the runs that triggers create cost no worker
# time; the bench measures the API, not task execution.
WIDTH = 20
LOAD_DAG = {
    "dag_id": DAG_ID,
    "max_active_runs": 1000,
    "tasks": [{"task_id": f"t{i:02d}", "operator": "empty"} for i in range(WIDTH)],
}
SEEDED_RUN = "seeded"
CALLS = ("get_dag", "list_task_instances", "trigger")


def say(text: str) -> None:
    print(text, flush=True)


class Leg(Protocol):
    """One transport to the public API. Each call raises when the answer is not a success."""

    name: str

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def get_dag(self, client: int, n: int) -> None: ...

    async def list_task_instances(self, client: int, n: int) -> None: ...

    async def trigger(self, client: int, n: int) -> None: ...


class RestLeg:
    name = "rest"

    def __init__(self, api_url: str) -> None:
        self._base = f"{api_url}/api/v2"
        self._http: httpx.AsyncClient | None = None
        self._run_numbers = itertools.count()

    async def open(self) -> None:
        limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
        self._http = httpx.AsyncClient(
            auth=api_auth(), base_url=self._base, timeout=30.0, limits=limits
        )

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def _expect(self, response: Awaitable[httpx.Response], status: int) -> None:
        answer = await response
        if answer.status_code != status:
            raise BenchError(f"{answer.request.method} {answer.url.path}: {answer.status_code}")

    async def get_dag(self, client: int, n: int) -> None:
        assert self._http is not None
        await self._expect(self._http.get(f"/dags/{DAG_ID}"), 200)

    async def list_task_instances(self, client: int, n: int) -> None:
        assert self._http is not None
        path = f"/dags/{DAG_ID}/dagRuns/{SEEDED_RUN}/taskInstances"
        await self._expect(self._http.get(path), 200)

    async def trigger(self, client: int, n: int) -> None:
        assert self._http is not None
        # A new run id per call, across the warm-up and the measured phase alike.
        body = {"dag_run_id": f"load-{next(self._run_numbers)}"}
        await self._expect(self._http.post(f"/dags/{DAG_ID}/dagRuns", json=body), 200)


def legs_for(api_url: str) -> list[Leg]:
    """The transports to measure. The public gRPC API gets its leg here once it exists."""
    return [RestLeg(api_url)]


@dataclass
class Phase:
    latencies_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0


async def _drive(call: Callable[[int, int], Awaitable[None]], seconds: float) -> Phase:
    phase = Phase()
    deadline = time.perf_counter() + seconds

    async def client(index: int) -> None:
        n = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                await call(index, n)
            except Exception as exc:  # noqa: BLE001  counted, and fails the bench
                phase.errors.append(f"{type(exc).__name__}: {exc}")
            else:
                phase.latencies_s.append(time.perf_counter() - started)
            n += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(CLIENTS)))
    phase.elapsed_s = time.perf_counter() - started
    return phase


async def _measure_leg(leg: Leg, duration: float) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    await leg.open()
    try:
        for name in CALLS:
            call = getattr(leg, name)
            say(f"   {leg.name} {name}: {CLIENTS} clients, {WARMUP_S:g} s warm-up, {duration:g} s")
            await _drive(call, WARMUP_S)
            phase = await _drive(call, duration)
            if not phase.latencies_s:
                raise BenchError(f"{leg.name} {name}: no call succeeded: {phase.errors[:3]}")
            ms = [s * 1000 for s in phase.latencies_s]
            figures[name] = {
                "requests_per_s": round(len(ms) / phase.elapsed_s, 1),
                "p50_ms": round(percentile(ms, 50), 2),
                "p99_ms": round(percentile(ms, 99), 2),
                "calls": len(ms),
                "errors": len(phase.errors),
                "first_errors": sorted(set(phase.errors))[:5],
            }
    finally:
        await leg.close()
    return figures


def _seed(api_url: str) -> None:
    with httpx.Client(auth=api_auth(), base_url=f"{api_url}/api/v2", timeout=30.0) as http:
        created = http.post("/dags", json=LOAD_DAG)
        if created.status_code != 201:
            raise BenchError(f"cannot register {DAG_ID}: {created.status_code} {created.text}")
        triggered = http.post(f"/dags/{DAG_ID}/dagRuns", json={"dag_run_id": SEEDED_RUN})
        if triggered.status_code != 200:
            raise BenchError(f"cannot trigger {DAG_ID}: {triggered.status_code}")
        deadline = time.monotonic() + 60
        while http.get(f"/dags/{DAG_ID}/dagRuns/{SEEDED_RUN}").json()["state"] != "success":
            if time.monotonic() > deadline:
                raise BenchError(f"{DAG_ID}/{SEEDED_RUN} did not finish within 60 s")
            time.sleep(0.1)


def run_mode(mode: str, duration: float) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"tradewind-bench-api-{mode}-"))
    cluster = Cluster.create(mode, workdir)
    result: dict[str, Any] = {}
    say(f"== {mode}: starting Tradewind (logs in {workdir})")
    try:
        cluster.start()
        cluster.wait_healthy()
        _seed(cluster.api_url)
        for leg in legs_for(cluster.api_url):
            result[leg.name] = asyncio.run(_measure_leg(leg, duration))
    except BenchError as exc:
        result["error"] = str(exc)
        print(f"error: {mode}: {exc}", file=sys.stderr, flush=True)
    finally:
        say(f"   stopping {mode}")
        result["exit_codes"] = cluster.stop()
        if cluster.schema_prefix and cluster.broker_namespace:
            result["cleanup_errors"] = cleanup(cluster.schema_prefix, cluster.broker_namespace)
    if "error" in result:
        result["logs_kept_in"] = str(workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def print_table(results: dict[str, dict[str, Any]]) -> None:
    header = (
        f"{'mode':<12} {'leg':<5} {'call':<20} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'errors':>7}"
    )
    say(f"\nPublic API, {CLIENTS} concurrent clients\n{header}\n{'-' * len(header)}")
    for mode, result in results.items():
        if "error" in result:
            say(f"{mode:<12} FAILED: {result['error'].splitlines()[0]}")
            continue
        for leg, calls in result.items():
            if not isinstance(calls, dict) or leg in ("exit_codes",):
                continue
            for call, f in calls.items():
                say(
                    f"{mode:<12} {leg:<5} {call:<20} {f['requests_per_s']:>8.1f} "
                    f"{f['p50_ms']:>8.1f} {f['p99_ms']:>8.1f} {f['errors']:>7}"
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_load", description=__doc__)
    parser.add_argument("--mode", choices=("standalone", "distributed", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_DURATION_S:g} s per call")
    args = parser.parse_args(argv)
    modes = ["standalone", "distributed"] if args.mode == "both" else [args.mode]
    duration = QUICK_DURATION_S if args.quick else DURATION_S
    results = {mode: run_mode(mode, duration) for mode in modes}
    print_table(results)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "generated_at": datetime.now(UTC).isoformat(),
        "clients": CLIENTS,
        "warmup_s": WARMUP_S,
        "duration_s": duration,
        "modes": results,
    }
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")
    say(f"Results: {RESULTS}")
    failed = [
        mode
        for mode, result in results.items()
        if "error" in result
        or any(
            f["errors"] > MAX_ERROR_RATE * (f["calls"] + f["errors"])
            for leg in result.values()
            if isinstance(leg, dict)
            for f in leg.values()
            if isinstance(f, dict) and "errors" in f
        )
    ]
    if failed:
        print(f"error: API load bench failed for {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
