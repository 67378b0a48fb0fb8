"""`python -m bench.api_calls`: the public APIs under load. Requests per second and p50/p99
latency of get-DAG, list-task-instances and trigger, each from many concurrent clients
for a fixed time, over REST (/api/v2) and gRPC (tradewind.v1), per mode.

The DAG is paused, so triggered runs stay queued: the figures are the API's own cost
(and the scheduler's for trigger), not the workers'.
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
from pathlib import Path

import grpc
import httpx
from tradewind_client.auth import aio_bearer_interceptors

from bench.cleanup import cleanup
from bench.cluster import Cluster, api_auth, api_token
from bench.errors import BenchError
from bench.stats import median, percentile
from tradewind.v1 import workflow_pb2 as pb
from tradewind.v1 import workflow_pb2_grpc

DAG_ID = "bench_api_calls"
SPEC = {
    "dag_id": DAG_ID,
    "is_paused_upon_creation": True,
    "tasks": [
        {"task_id": f"t{n}", "operator": "bash", "bash_command": "true"}
        | ({"upstream": [f"t{n - 1}"]} if n else {})
        for n in range(10)
    ],
}
Call = Callable[[int], Awaitable[None]]
# Numbers every call of the process, so each trigger names a new run.
_CALL_NUMBERS = itertools.count(1)


async def _load(call: Call, clients: int, seconds: float) -> tuple[int, list[float], int]:
    """Calls done, their latencies (s), and failures, from `clients` loops for `seconds`."""
    latencies: list[float] = []
    failures = 0
    deadline = time.monotonic() + seconds

    async def client() -> None:
        nonlocal failures
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                await call(next(_CALL_NUMBERS))
            except (httpx.HTTPError, grpc.aio.AioRpcError, AssertionError) as exc:
                failures += 1
                if failures <= 3:  # what went wrong, without flooding the report
                    print(f"failed: {type(exc).__name__}: {exc}"[:300], file=sys.stderr)
                continue
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(client() for _ in range(clients)))
    return len(latencies), latencies, failures


async def _measure(cluster: Cluster, clients: int, seconds: float) -> list[dict]:
    grpc_address = cluster.env["TRADEWIND_API_GRPC_ADDRESS"]
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with (
        httpx.AsyncClient(
            auth=api_auth(), base_url=cluster.api_url + "/api/v2", limits=limits, timeout=60
        ) as rest,
        grpc.aio.insecure_channel(
            grpc_address, interceptors=aio_bearer_interceptors(api_token(cluster.api_url))
        ) as channel,
    ):
        stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
        created = await rest.post("/dags", json=SPEC)
        if created.status_code not in (200, 201):
            raise BenchError(f"creating the DAG answered {created.status_code}: {created.text}")
        run = await rest.post(f"/dags/{DAG_ID}/dagRuns", json={"dag_run_id": "listed"})
        if run.status_code != 200:
            raise BenchError(f"triggering answered {run.status_code}: {run.text}")

        async def rest_get_dag(_: int) -> None:
            assert (await rest.get(f"/dags/{DAG_ID}")).status_code == 200

        async def rest_list_tis(_: int) -> None:
            reply = await rest.get(f"/dags/{DAG_ID}/dagRuns/listed/taskInstances")
            assert reply.status_code == 200

        async def rest_trigger(n: int) -> None:
            body = {"dag_run_id": f"rest-{n}"}
            reply = await rest.post(f"/dags/{DAG_ID}/dagRuns", json=body)
            assert reply.status_code == 200, f"{reply.status_code} {reply.text[:200]}"

        async def grpc_get_dag(_: int) -> None:
            await stub.GetDag(pb.GetDagRequest(dag_id=DAG_ID), timeout=60)

        async def grpc_list_tis(_: int) -> None:
            request = pb.ListTaskInstancesRequest(dag_id=DAG_ID, dag_run_id="listed")
            await stub.ListTaskInstances(request, timeout=60)

        async def grpc_trigger(n: int) -> None:
            request = pb.TriggerDagRunRequest(dag_id=DAG_ID, dag_run_id=f"grpc-{n}")
            await stub.TriggerDagRun(request, timeout=60)

        calls: list[tuple[str, str, Call]] = [
            ("get DAG", "REST", rest_get_dag),
            ("get DAG", "gRPC", grpc_get_dag),
            ("list task instances", "REST", rest_list_tis),
            ("list task instances", "gRPC", grpc_list_tis),
            ("trigger", "REST", rest_trigger),
            ("trigger", "gRPC", grpc_trigger),
        ]
        rows = []
        for operation, api, call in calls:
            await _load(call, min(clients, 10), 0.5)  # warm-up: connections, lazy imports
            done, latencies, failures = await _load(call, clients, seconds)
            rows.append(
                {
                    "operation": operation,
                    "api": api,
                    "requests_per_second": done / seconds,
                    "p50_ms": median(latencies) * 1000 if latencies else float("nan"),
                    "p99_ms": percentile(latencies, 99) * 1000 if latencies else float("nan"),
                    "failures": failures,
                }
            )
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--modes", nargs="+", default=["standalone", "distributed"])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    results: dict[str, list[dict]] = {}
    failed = False
    for mode in args.modes:
        workdir = Path(tempfile.mkdtemp(prefix=f"tradewind-bench-api-{mode}-"))
        cluster = Cluster.create(mode, workdir)
        try:
            cluster.start()
            cluster.wait_healthy()
            results[mode] = asyncio.run(_measure(cluster, args.clients, args.seconds))
        except BenchError as exc:
            print(f"{mode}: {exc}\n{cluster.log_tails()}", file=sys.stderr)
            failed = True
        finally:
            cluster.stop()
            if cluster.schema_prefix and cluster.broker_namespace:
                for problem in cleanup(cluster.schema_prefix, cluster.broker_namespace):
                    print(f"cleanup: {problem}", file=sys.stderr)
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nAPI calls, {args.clients} concurrent clients, {args.seconds:g} s each")
    print(
        f"{'mode':<12}{'operation':<22}{'api':<6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'fail':>6}"
    )
    for mode, rows in results.items():
        for row in rows:
            print(
                f"{mode:<12}{row['operation']:<22}{row['api']:<6}"
                f"{row['requests_per_second']:>9.0f}{row['p50_ms']:>9.1f}{row['p99_ms']:>9.1f}"
                f"{row['failures']:>6}"
            )
    print(json.dumps({"clients": args.clients, "seconds": args.seconds, "results": results}))
    failed = failed or any(row["failures"] for rows in results.values() for row in rows)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
