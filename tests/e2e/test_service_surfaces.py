"""Each service's own HTTP surface, as an operator's probes and Prometheus see it:
distributed, each on its own port; standalone, on the api's port under /services/<name>."""

from __future__ import annotations

import asyncio
import sys
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import admin_auth, free_port
from tests.e2e import scenarios
from tests.e2e.conftest import _settings
from tests.e2e.harness import Deployment

pytestmark = pytest.mark.e2e


async def container_probe(url: str) -> tuple[int, str]:
    """The health check the shipped deployments run: exit code and what it printed."""
    probe = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tradewind_core.http_probe", url, stderr=asyncio.subprocess.PIPE
    )
    _, err = await probe.communicate()
    return probe.returncode or 0, err.decode()


def metric_names(text: str) -> set[str]:
    return {s.name for family in text_string_to_metric_families(text) for s in family.samples}


async def wait_for_status(
    client: httpx.AsyncClient, url: str, status: int, timeout: float = 30
) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = await client.get(url)
            if response.status_code == status:
                return response
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{url} never answered {status}"
        await asyncio.sleep(0.1)


async def wait_for_scheduler_seen_by_api(api: httpx.AsyncClient, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while (await api.get("/monitor/health")).json()["scheduler"]["status"] != "healthy":
        assert time.monotonic() < deadline, "the api never saw the scheduler again"
        await asyncio.sleep(0.1)


@pytest.mark.postgres
async def test_distributed_surfaces_probes_metrics_and_introspection(
    tmp_path, service_ports, pg_database, schema_prefix, broker_namespace
):
    ports = {"scheduler": free_port(), "dispatcher": free_port(), "worker": free_port()}
    settings = _settings(pg_database, schema_prefix, broker_namespace, service_ports)
    deployment = Deployment(tmp_path, settings)
    deployment.start("api", "api")
    deployment.start("scheduler", "scheduler", scheduler_http_port=str(ports["scheduler"]))
    deployment.start("dispatcher", "dispatcher", dispatcher_http_port=str(ports["dispatcher"]))
    deployment.start(
        "worker-1", "worker", worker_id="worker-1", worker_http_port=str(ports["worker"])
    )
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    try:
        await deployment.wait_healthy(timeout=180, workers=1)
        async with (
            httpx.AsyncClient(timeout=10) as http,
            httpx.AsyncClient(auth=admin_auth(), base_url=deployment.base_url, timeout=10) as api,
        ):
            for name in ports:
                live = (await http.get(f"{url[name]}/health/live")).json()
                assert live == {"service": name, "status": "alive"}
                ready = await wait_for_status(http, f"{url[name]}/health/ready", 200)
                assert ready.json()["status"] == "ready"
                assert all(check["ok"] for check in ready.json()["checks"])
                assert await container_probe(f"{url[name]}/health/ready") == (0, "")

            await scenarios.pipeline_runs_in_dependency_order(api)

            loop = (await http.get(f"{url['scheduler']}/loop")).json()
            assert loop["steps"] > 0 and loop["task_instances_queued"] >= 3
            assert loop["last_sweep_at"] is not None
            assert (await http.get(f"{url['scheduler']}/runs")).json() == {
                "dag_runs": [],
                "total_entries": 0,
            }
            workers = (await http.get(f"{url['dispatcher']}/workers")).json()
            assert [w["worker_id"] for w in workers["workers"]] == ["worker-1"]
            assert workers["workers"][0]["alive"]
            # The run is final once the scheduler knows; the dispatcher's bookkeeping
            # (outbox rows deleted after delivery) settles just after.
            drained = {
                "scheduler_events": 0,
                "oldest_scheduler_event_at": None,
                "unpublished_attempts": 0,
            }
            deadline = time.monotonic() + 30
            while (await http.get(f"{url['dispatcher']}/outbox")).json() != drained:
                assert time.monotonic() < deadline, "the dispatcher's outbox never drained"
                await asyncio.sleep(0.1)
            attempts = (await http.get(f"{url['dispatcher']}/attempts")).json()
            assert attempts == {"attempts": [], "total_entries": 0}
            slots = (await http.get(f"{url['worker']}/slots")).json()
            assert slots["slots"] == 16 and slots["slots_in_use"] == 0 and not slots["draining"]
            assert (await http.get(f"{url['worker']}/tasks")).json()["total_entries"] == 0

            assert "tradewind_scheduler_step_seconds_count" in metric_names(
                (await http.get(f"{url['scheduler']}/metrics")).text
            )
            dispatcher_metrics = metric_names((await http.get(f"{url['dispatcher']}/metrics")).text)
            assert {
                "tradewind_dispatcher_live_workers",
                "tradewind_dispatcher_queued_attempts",
            } <= (dispatcher_metrics)
            worker_metrics = (await http.get(f"{url['worker']}/metrics")).text
            assert "tradewind_worker_tasks_finished_total" in metric_names(worker_metrics)

            # The scheduler goes away: the dispatcher cannot pass results on, and says so.
            deployment.kill("scheduler")
            refused = await wait_for_status(http, f"{url['dispatcher']}/health/ready", 503)
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.headers["retry-after"]
            problem = refused.json()
            assert problem["status"] == 503 and "scheduler" in problem["detail"]
            failed = {c["name"] for c in problem["checks"] if not c["ok"]}
            assert failed == {"scheduler"}
            code, said = await container_probe(f"{url['dispatcher']}/health/ready")
            assert code != 0 and "503" in said and "scheduler" in said
            # Still alive: a liveness probe must not restart it for a peer's outage.
            assert (await http.get(f"{url['dispatcher']}/health/live")).status_code == 200
            deployment.restart("scheduler")  # a process start: allow for a busy machine
            await wait_for_status(http, f"{url['dispatcher']}/health/ready", 200, timeout=180)
            # The api reconnects on its own schedule (its channel backs off up to a second):
            # an operator waits for the api's own view of the scheduler, not the dispatcher's.
            await wait_for_scheduler_seen_by_api(api)
            # A task in hand shows on the worker; asked to stop, the worker finishes it
            # but takes nothing new, and its readiness says so.
            release = tmp_path / "release"
            hold = f"while [ ! -e {release} ]; do sleep 0.05; done"
            spec = {"dag_id": "held", "tasks": [scenarios.bash("hold", hold)]}
            assert (await api.post("/dags", json=spec)).status_code == 201
            assert (
                await api.post("/dags/held/dagRuns", json={"dag_run_id": "h"})
            ).status_code == 200
            deadline = time.monotonic() + 60
            while not (tasks := (await http.get(f"{url['worker']}/tasks")).json())["tasks"]:
                assert time.monotonic() < deadline, "the held task never showed on the worker"
                await asyncio.sleep(0.1)
            [held] = tasks["tasks"]
            assert (held["dag_id"], held["dag_run_id"], held["task_id"]) == ("held", "h", "hold")
            assert held["operator"] == "bash" and held["try_number"] == 1
            slots = (await http.get(f"{url['worker']}/slots")).json()
            assert slots["slots_in_use"] == 1
            deployment.processes["worker-1"].terminate()
            draining = await wait_for_status(http, f"{url['worker']}/health/ready", 503)
            assert "draining" in draining.json()["detail"]
            assert (await http.get(f"{url['worker']}/slots")).json()["draining"]
            release.touch()
            run = await scenarios.wait_for_run(api, "held", "h")
            assert run["state"] == "success"
    finally:
        codes = deployment.stop_all()
    assert set(codes.values()) == {0}, f"{codes}\n{deployment.logs()}"


async def test_standalone_serves_every_surface_on_the_api_port(tmp_path, service_ports):
    deployment = Deployment(tmp_path, {"home": str(tmp_path / "home"), **service_ports})
    deployment.start("standalone", "standalone")
    root = f"http://127.0.0.1:{service_ports['api_port']}/services"
    try:
        await deployment.wait_healthy(timeout=180)
        async with (
            httpx.AsyncClient(auth=admin_auth(), timeout=10) as http,
            httpx.AsyncClient(timeout=10) as anonymous,
        ):
            # Probes need no credential; what a service knows of itself is for operators.
            probe = await wait_for_status(anonymous, f"{root}/worker/health/live", 200)
            assert probe.status_code == 200
            assert (await anonymous.get(f"{root}/worker/metrics")).status_code == 401
            for name in ("scheduler", "dispatcher", "worker"):
                ready = await wait_for_status(http, f"{root}/{name}/health/ready", 200)
                assert ready.json()["service"] == name
                assert (await http.get(f"{root}/{name}/metrics")).status_code == 200
                spec = (await http.get(f"{root}/{name}/openapi.json")).json()
                assert "/health/ready" in spec["paths"]
            slots = (await http.get(f"{root}/worker/slots")).json()
            assert slots["worker_id"] == "standalone"
            missing = await http.get(f"{root}/nothing/health/ready")
            assert missing.status_code == 404
    finally:
        codes = deployment.stop_all()
    assert codes == {"standalone": 0}, deployment.logs()
