"""The live api against its own OpenAPI document, with generated requests (schemathesis):
no answer is a server error, and every answer (status, content type, body) is one the
document declares. Tradewind runs for real: every service, on PostgreSQL, with a DAG and a
finished run to find. Examples per operation are bounded so this stays quick."""

from __future__ import annotations

import asyncio
import secrets

import asyncpg
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import ADMIN_PASSWORD, admin_auth, free_port
from tests.e2e import scenarios
from tests.e2e.harness import Deployment

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
EXAMPLES_PER_OPERATION = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SEED_DAG = {
    "dag_id": "conformance",
    "tags": ["probe"],
    "tasks": [
        scenarios.bash("first", "echo one"),
        scenarios.bash("second", "echo two", "first"),
    ],
}


async def _drop_schemas(pg_database: str, prefix: str) -> None:
    conn = await asyncpg.connect(pg_database.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for row in await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", prefix + "%"
        ):
            await conn.execute(f'DROP SCHEMA "{row["nspname"]}" CASCADE')
    finally:
        await conn.close()


async def _seed(base_url: str) -> None:
    async with httpx.AsyncClient(auth=admin_auth(), base_url=base_url, timeout=30) as client:
        assert (await client.post("/dags", json=SEED_DAG)).status_code == 201
        triggered = await client.post("/dags/conformance/dagRuns", json={"dag_run_id": "seeded"})
        assert triggered.status_code == 200, triggered.text
        run = await scenarios.wait_for_run(client, "conformance", "seeded")
        assert run["state"] == "success", run


@pytest.fixture(scope="module")
def live_api(tmp_path_factory, pg_database):
    """Standalone on PostgreSQL: every service, real, in one process; only its REST and
    gRPC ports open."""
    prefix = f"t{secrets.token_hex(4)}_"
    workdir = tmp_path_factory.mktemp("conformance")
    api_port = free_port()
    deployment = Deployment(
        workdir,
        {
            "home": str(workdir / "home"),
            "api_port": str(api_port),
            "api_grpc_address": f"127.0.0.1:{free_port()}",
            "database_url": pg_database,
            "database_schema_prefix": prefix,
            "log_level": "warning",
        },
    )
    deployment.start("standalone", "standalone")
    try:
        asyncio.run(deployment.wait_healthy(timeout=120))
        asyncio.run(_seed(deployment.base_url))
        yield f"http://127.0.0.1:{api_port}"
    finally:
        codes = deployment.stop_all()
        asyncio.run(_drop_schemas(pg_database, prefix))
    assert codes == {"standalone": 0}, deployment.logs()


def _admin_token(base_url: str) -> str:
    answer = httpx.post(
        f"{base_url}/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    return answer.json()["access_token"]


def test_every_answer_is_declared_and_none_is_a_server_error(live_api):
    schema = schemathesis.openapi.from_url(f"{live_api}/openapi.json")
    failures: list[str] = []
    tested = 0
    headers = {"Authorization": f"Bearer {_admin_token(live_api)}"}
    for loaded in schema.get_all_operations():
        operation = loaded.ok()
        if operation.path.startswith("/auth/"):
            # Signing out, or changing the admin's password, would end this very run;
            # the auth routes have tests of their own.
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def conforms(case: schemathesis.Case) -> None:
            case.call_and_validate(base_url=live_api, checks=CHECKS, headers=headers)

        try:
            conforms()
        except Exception as exc:  # noqa: BLE001  every operation's failure, then one assert
            failures.append(f"{operation.label}:\n{exc}")
        tested += 1
    assert tested >= 40, f"only {tested} operations in the document"
    assert not failures, "\n\n".join(failures)
