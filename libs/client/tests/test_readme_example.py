"""The README's example, run as a user would (its own process, the installed client)
against a live Tradewind: what it prints is what a user sees."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from conftest import admin_token
from services.api.tests.live import live_tradewind

pytestmark = pytest.mark.postgres
README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


async def run_python(code: str, address: str, token: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        env={**os.environ, "TRADEWIND_API_GRPC_ADDRESS": address, "TRADEWIND_API_TOKEN": token},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, output.decode()
    return output.decode()


async def test_the_readme_example_runs_against_a_live_tradewind(
    pg_database, schema_prefix, service_ports
):
    example, errors = python_blocks()
    address = service_ports["api_grpc_address"]
    async with live_tradewind(pg_database, schema_prefix, service_ports) as rest:
        token = await admin_token(rest)
        output = await run_python(example, address, token)
        lines = output.splitlines()
        assert lines[0] == "DAG hello_client, version 1"
        run_id = re.fullmatch(r"run (\S+) is queued", lines[1]).group(1)
        assert lines[-2] == f"run {run_id}: success"
        assert "  task greet: success" in lines and "  task done: success" in lines
        assert lines[-1] == "  greet | hello Ada"
        # Run again: the same spec and the same idempotency key make nothing new.
        again = await run_python(example, address, token)
        assert again.splitlines()[0] == "DAG hello_client, version 1"
        assert (await rest.get("/dags/hello_client/dagRuns")).json()["total_entries"] == 1

        # The second example continues the first (the same connection).
        setup = "from tradewind_client import Tradewind\nimport os\n"
        connect = (
            "tradewind = Tradewind.connect(os.environ['TRADEWIND_API_GRPC_ADDRESS'], "
            "token=os.environ['TRADEWIND_API_TOKEN'])\n"
        )
        output = await run_python(setup + connect + errors, address, token)
        assert output.strip() == "DAG with dag_id 'no_such_dag' was not found"
