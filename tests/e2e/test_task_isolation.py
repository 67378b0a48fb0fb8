"""What a task may see: its log hides the secrets it was given, and it runs as an
unprivileged user that cannot read the worker's own configuration."""

from __future__ import annotations

import pwd
import subprocess

import httpx
import pytest

from conftest import admin_auth
from tests.e2e import scenarios
from tests.e2e.test_worker_fleet import _trigger

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
TASK_USER = "tradewind"


async def _log_lines(client: httpx.AsyncClient, dag_id: str, task_id: str) -> list[str]:
    path = f"/dags/{dag_id}/dagRuns/r/taskInstances/{task_id}/logs/1"
    reply = await client.get(path)
    assert reply.status_code == 200, reply.text
    return [line["event"] for line in reply.json()["content"]]


async def test_a_tasks_secrets_never_reach_its_log(distributed):
    password = "hunter2-correct-horse"
    token = "tok-from-params-4711"
    key = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----"
    spec = {
        "dag_id": "secretive",
        "params": {"token": token},
        "tasks": [
            scenarios.bash(
                "leak",
                'echo "password is $DB_PASSWORD, greeting is $GREETING"; '
                'echo "$API_TOKEN" >&2; echo "$SSH_PRIVATE_KEY"; '
                'echo "twice: $DB_PASSWORD$DB_PASSWORD"; exit 3',
                env={
                    "DB_PASSWORD": password,
                    "API_TOKEN": "{{ params.token }}",  # masked as the task sees it
                    "SSH_PRIVATE_KEY": key,
                    "GREETING": "hello-visible",
                },
            )
        ],
    }
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=distributed.base_url, timeout=10
    ) as client:
        await _trigger(client, spec)
        run = await scenarios.wait_for_run(client, "secretive", "r")
        assert run["state"] == "failed"
        lines = await _log_lines(client, "secretive", "leak")
        text = (
            await client.get(
                "/dags/secretive/dagRuns/r/taskInstances/leak/logs/1",
                headers={"Accept": "text/plain"},
            )
        ).text
    assert "password is ***, greeting is hello-visible" in lines
    assert "***" in lines and "twice: ******" in lines
    assert "-----BEGIN KEY-----" not in text
    for secret in (password, token, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"):
        assert secret not in text
        assert not any(secret in line for line in lines)
    assert "exited with code 3" in text


@pytest.fixture(scope="session")
def task_user() -> pwd.struct_passwd:
    """An unprivileged system user for tasks, as a deployment creates one."""
    try:
        return pwd.getpwnam(TASK_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TASK_USER],
            check=True,
        )
        return pwd.getpwnam(TASK_USER)


async def test_tasks_run_as_the_task_user_and_cannot_read_the_worker(
    services_only, service_ports, task_user
):
    secret = service_ports["internal_secret"]
    spec = {
        "dag_id": "whoami",
        "tasks": [
            scenarios.bash(
                "shell",
                'echo "uid=$(id -u) groups=$(id -G) home=$HOME"; '
                "cat /proc/$PPID/environ || echo cannot-read-the-worker",
            ),
            *[scenarios.bash(f"p{n}", "id -u") for n in range(4)],
            {"task_id": "python", "operator": "python", "python_callable": "os:getuid"},
        ],
    }
    services_only.start("worker-1", "worker", worker_id="worker-1", worker_task_user=TASK_USER)
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=services_only.base_url, timeout=10
    ) as client:
        await services_only.wait_healthy(workers=1)
        await _trigger(client, spec)
        run = await scenarios.wait_for_run(client, "whoami", "r")
        lines = await _log_lines(client, "whoami", "shell")
        assert run["state"] == "success", (lines, services_only.logs())
        # The python task's answer came back through the worker's task API (its socket).
        xcom = await client.get(
            "/dags/whoami/dagRuns/r/taskInstances/python/xcomEntries/return_value"
        )
    uid, gid = task_user.pw_uid, task_user.pw_gid
    assert uid != 0
    assert f"uid={uid} groups={gid} home={task_user.pw_dir}" in lines
    assert "cannot-read-the-worker" in lines
    assert not any(secret in line for line in lines)
    assert xcom.json()["value"] == uid
