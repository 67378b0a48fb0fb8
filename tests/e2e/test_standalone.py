"""`tradewind standalone`: one process, SQLite under TRADEWIND_HOME, no servers."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e import scenarios
from tests.e2e.harness import Deployment

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
    async with httpx.AsyncClient(base_url=standalone.base_url, timeout=10) as client:
        await scenarios.pipeline_runs_in_dependency_order(client)
        await scenarios.a_failing_task_fails_the_run(client)
        await scenarios.bad_input_is_refused(client)


async def test_standalone_keeps_its_data_across_restarts(standalone):
    async with httpx.AsyncClient(base_url=standalone.base_url, timeout=10) as client:
        await scenarios.pipeline_runs_in_dependency_order(client)
    assert standalone.stop("standalone") == 0
    standalone.start("standalone", "standalone")
    await standalone.wait_healthy()
    async with httpx.AsyncClient(base_url=standalone.base_url, timeout=10) as client:
        assert (await client.get("/dags/pipeline/dagRuns/first")).json()["state"] == "success"
        assert (
            await client.post("/dags/pipeline/dagRuns", json={"dag_run_id": "second"})
        ).status_code == 200
        assert (await scenarios.wait_for_run(client, "pipeline", "second"))["state"] == "success"
