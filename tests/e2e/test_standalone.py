"""`tradewind standalone`: one process, SQLite under TRADEWIND_HOME, no servers."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from conftest import admin_auth, admin_token, signed_in_channel
from tests.e2e import scenarios
from tests.e2e.harness import TRADEWIND, Deployment
from tradewind.v1 import workflow_pb2, workflow_pb2_grpc

pytestmark = pytest.mark.e2e


@pytest.fixture
async def standalone(tmp_path, service_ports):
    deployment = Deployment(tmp_path, {"home": str(tmp_path / "home"), **service_ports})
    deployment.start("standalone", "standalone")
    try:
        await deployment.wait_healthy()
        yield deployment
    finally:
        codes = deployment.stop_all()
    assert codes == {"standalone": 0}, deployment.logs()


async def test_standalone_runs_dags_end_to_end(standalone):
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=standalone.base_url, timeout=10
    ) as client:
        await scenarios.pipeline_runs_in_dependency_order(client)
        await scenarios.a_failing_task_fails_the_run(client)
        await scenarios.bad_input_is_refused(client)


async def test_standalone_keeps_its_data_across_restarts(standalone):
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=standalone.base_url, timeout=10
    ) as client:
        await scenarios.pipeline_runs_in_dependency_order(client)
    assert standalone.stop("standalone") == 0
    standalone.start("standalone", "standalone")
    await standalone.wait_healthy()
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=standalone.base_url, timeout=10
    ) as client:
        assert (await client.get("/dags/pipeline/dagRuns/first")).json()["state"] == "success"
        assert (
            await client.post("/dags/pipeline/dagRuns", json={"dag_run_id": "second"})
        ).status_code == 200
        assert (await scenarios.wait_for_run(client, "pipeline", "second"))["state"] == "success"


async def test_two_standalones_run_side_by_side_binding_only_their_public_port(
    tmp_path, service_ports
):
    """Each instance binds only its public ports, REST and the public gRPC API (its
    services meet over Unix sockets under its own home), so a second one with another home
    and ports is a separate Tradewind: its DAGs and runs are its own. A second instance on
    the same home is refused."""
    import psutil

    from conftest import free_port

    first = Deployment(tmp_path / "first", {"home": str(tmp_path / "one"), **service_ports})
    second_port, second_grpc_port = str(free_port()), free_port()
    second = Deployment(
        tmp_path / "second",
        {
            "home": str(tmp_path / "two"),
            "api_port": second_port,
            "api_grpc_address": f"127.0.0.1:{second_grpc_port}",
        },
    )
    first_grpc_port = int(service_ports["api_grpc_address"].rpartition(":")[2])
    for deployment in (first, second):
        deployment.workdir.mkdir()
        deployment.start("standalone", "standalone")
    try:
        await first.wait_healthy()
        await second.wait_healthy()
        async with (
            httpx.AsyncClient(auth=admin_auth(), base_url=first.base_url, timeout=10) as one,
            httpx.AsyncClient(auth=admin_auth(), base_url=second.base_url, timeout=10) as two,
        ):
            await scenarios.pipeline_runs_in_dependency_order(two)
            assert (await one.get("/dags/pipeline")).status_code == 404
            await scenarios.pipeline_runs_in_dependency_order(one)
            # Each one's public gRPC API answers for its own data.
            for rest, grpc_port in ((one, first_grpc_port), (two, second_grpc_port)):
                token = await admin_token(rest)
                async with signed_in_channel(f"127.0.0.1:{grpc_port}", token) as channel:
                    stub = workflow_pb2_grpc.WorkflowServiceStub(channel)
                    dag = (await stub.GetDag(workflow_pb2.GetDagRequest(dag_id="pipeline"))).dag
                version = (await rest.get("/dags/pipeline")).json()["latest_dag_version"]
                assert dag.latest_dag_version.id == version["id"]
        for deployment, ports in (
            (first, {int(service_ports["api_port"]), first_grpc_port}),
            (second, {int(second_port), second_grpc_port}),
        ):
            proc = psutil.Process(deployment.processes["standalone"].pid)
            listening = {c.laddr.port for c in proc.net_connections("inet") if c.status == "LISTEN"}
            assert listening == ports

        same_home = Deployment(
            tmp_path, {"home": str(tmp_path / "one"), "api_port": str(free_port())}
        )
        refused = await asyncio.create_subprocess_exec(
            TRADEWIND, "standalone", env=same_home.env, stderr=asyncio.subprocess.PIPE
        )
        _, stderr = await asyncio.wait_for(refused.communicate(), timeout=60)
        assert refused.returncode == 1
        assert "another standalone is running" in stderr.decode()
    finally:
        codes = {**first.stop_all(), **{f"2-{k}": v for k, v in second.stop_all().items()}}
    assert set(codes.values()) == {0}, first.logs() + second.logs()
