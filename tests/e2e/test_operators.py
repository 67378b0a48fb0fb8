"""Python, http and empty tasks and XCom, in both ways of running Tradewind."""

from __future__ import annotations

import httpx
import pytest

from conftest import admin_auth
from tests.e2e import operator_scenarios
from tests.e2e.test_standalone import standalone  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e


@pytest.mark.postgres
async def test_distributed_python_bundles_and_xcom(distributed, tmp_path):
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=distributed.base_url, timeout=10
    ) as client:
        await operator_scenarios.bundle_python_value_reaches_a_bash_pull(client, tmp_path)
        await operator_scenarios.python_failures_are_explained(client)
        await operator_scenarios.bad_python_is_refused_at_the_door(client)
        await operator_scenarios.http_tasks_call_and_keep_the_response(client)
        await operator_scenarios.empty_tasks_never_reach_a_worker(
            client, lambda: _worker_logs(tmp_path)
        )


def _worker_logs(folder) -> str:
    return "".join(p.read_text(errors="replace") for p in sorted(folder.glob("worker-*.log")))


async def test_standalone_python_bundles_and_xcom(standalone, tmp_path):  # noqa: F811
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=standalone.base_url, timeout=10
    ) as client:
        await operator_scenarios.bundle_python_value_reaches_a_bash_pull(client, tmp_path)
