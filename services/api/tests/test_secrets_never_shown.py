"""Secrets never come back out: a run that uses a connection password, a secret variable
and a secret in a task's environment, then every answer of the API about it (each
read-only route, the event log, the event stream, the task's log) searched for them."""

from __future__ import annotations

import asyncio
import re

import pytest

from services.api.tests.live import live_tradewind

pytestmark = pytest.mark.postgres
CONNECTION_PASSWORD = "conn-pass-7Q2w"
VARIABLE_VALUE = "var-secret-8R3e"
ENV_SECRET = "env-secret-9T4r"
SECRETS = (CONNECTION_PASSWORD, VARIABLE_VALUE, ENV_SECRET)
SPEC = {
    "dag_id": "uses_secrets",
    "tasks": [
        {
            "task_id": "call",
            "operator": "bash",
            # The task prints its secret, as careless code does: the log must mask it.
            "bash_command": 'echo "calling with $API_KEY"; echo "plain is $PLAIN"',
            "env": {"API_KEY": ENV_SECRET, "PLAIN": "visible-value"},
        }
    ],
}
IDS = {"dag_id": "uses_secrets", "dag_run_id": "r", "task_id": "call", "try_number": "1",
       "task_try_number": "1", "version_number": "1", "connection_id": "warehouse",
       "variable_key": "api_key", "pool_name": "default_pool", "xcom_key": "return_value",
       "section": "core", "option": "fernet_key"}  # fmt: skip


async def test_no_answer_about_a_run_shows_its_secrets(
    pg_database, schema_prefix, service_ports, capfd
):
    async with live_tradewind(pg_database, schema_prefix, service_ports) as rest:
        made = await rest.post(
            "/connections",
            json={"connection_id": "warehouse", "conn_type": "postgres", "host": "db",
                  "login": "loader", "password": CONNECTION_PASSWORD,
                  "extra": f'{{"api_token": "{CONNECTION_PASSWORD}"}}'},
        )  # fmt: skip
        assert made.status_code == 201, made.text
        made = await rest.post("/variables", json={"key": "api_key", "value": VARIABLE_VALUE})
        assert made.status_code == 201, made.text
        assert (await rest.post("/dags", json=SPEC)).status_code == 201
        triggered = await rest.post("/dags/uses_secrets/dagRuns", json={"dag_run_id": "r"})
        assert triggered.status_code == 200
        for _ in range(600):
            run = (await rest.get("/dags/uses_secrets/dagRuns/r")).json()
            if run["state"] in ("success", "failed"):
                break
            await asyncio.sleep(0.1)
        assert run["state"] == "success"

        answers: dict[str, str] = {}
        root = str(rest.base_url).removesuffix("/").removesuffix("/api/v2")
        document = (await rest.get(f"{root}/openapi.json")).json()
        for path, item in document["paths"].items():
            if "get" not in item or path.endswith("/events"):
                continue
            url = re.sub(r"\{(\w+)\}", lambda m: IDS.get(m.group(1), "~"), path)
            answers[path] = (await rest.get(f"{root}{url}")).text
        log = answers[
            "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{try_number}"
        ]
        assert "calling with ***" in log and "plain is visible-value" in log  # the log is there
        # The event stream of the run, replayed from its start.
        async with rest.stream("GET", "/dags/uses_secrets/dagRuns/r/events") as stream:
            answers["events"] = ""
            async for chunk in stream.aiter_text():
                answers["events"] += chunk
                if "event: end" in answers["events"]:
                    break
        assert "dag_run" in answers["events"]

        assert len(answers) > 40
    # Nor what the services logged meanwhile (every one of them ran in this process).
    out, err = capfd.readouterr()
    answers["service logs"] = out + err
    assert "DAG run finished" in answers["service logs"]
    found = [
        f"{where}: {secret}"
        for where, text in answers.items()
        for secret in SECRETS
        if secret in text
    ]
    assert not found, "\n".join(found)
