"""A fresh Tradewind as its first user meets it: the generated admin password printed once,
signing in with it, and `tradewind users` managing who else may sign in."""

from __future__ import annotations

import re
import subprocess

import httpx
import pytest

from tests.e2e.harness import TRADEWIND, Deployment

pytestmark = pytest.mark.e2e
PRINTED = re.compile(r"Tradewind made the first user: admin / (\S+)")


def users(deployment: Deployment, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TRADEWIND, "users", *args],
        env=deployment.env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/auth/token", json={"username": username, "password": password})


async def test_the_first_admin_and_the_users_command(tmp_path, service_ports):
    # No TRADEWIND_ADMIN_PASSWORD: the first start makes one up and prints it.
    settings = {"home": str(tmp_path / "home"), "admin_password": "", **service_ports}
    deployment = Deployment(tmp_path, settings)
    deployment.start("standalone", "standalone")
    root = deployment.base_url.removesuffix("/api/v2")
    try:
        await deployment.wait_healthy(timeout=180)
        [password] = PRINTED.findall(deployment.logs())
        async with httpx.AsyncClient(base_url=root, timeout=10) as client:
            assert (await sign_in(client, "admin", password)).status_code == 201
            assert (await sign_in(client, "admin", "admin")).status_code == 401

            made = users(
                deployment, "create", "ada", "--role", "Viewer", "--password", "ada-pass-1"
            )
            assert made.returncode == 0, made.stderr
            first = await sign_in(client, "ada", "ada-pass-1")
            assert first.status_code == 201
            token = {"Authorization": f"Bearer {first.json()['access_token']}"}
            me = (await client.get("/auth/me", headers=token)).json()
            assert me["role"] == "Viewer"
            listed = users(deployment, "list")
            assert "ada\tViewer\tevery DAG" in listed.stdout
            assert "admin\tAdmin" in listed.stdout

            reset = users(deployment, "reset-password", "ada", "--password", "ada-pass-2")
            assert reset.returncode == 0, reset.stderr
            assert (await client.get("/auth/me", headers=token)).status_code == 401
            assert (await sign_in(client, "ada", "ada-pass-1")).status_code == 401
            assert (await sign_in(client, "ada", "ada-pass-2")).status_code == 201

            # Refusals name the problem and change nothing.
            bad_role = users(
                deployment, "create", "bob", "--role", "Boss", "--password", "bob-pass-1"
            )
            assert bad_role.returncode == 1 and "Viewer, User, Op, Admin" in bad_role.stderr
            short = users(deployment, "create", "bob", "--password", "short")
            assert short.returncode == 1 and "at least 8 characters" in short.stderr
            last_admin = users(deployment, "delete", "admin")
            assert last_admin.returncode == 1 and "last Admin" in last_admin.stderr
            assert (await sign_in(client, "admin", password)).status_code == 201
            assert "bob" not in users(deployment, "list").stdout

            gone = users(deployment, "delete", "ada")
            assert gone.returncode == 0, gone.stderr
            assert (await sign_in(client, "ada", "ada-pass-2")).status_code == 401
        # A second start makes no new admin and prints no password.
        assert deployment.stop("standalone") == 0
        deployment.start("standalone", "standalone")
        await deployment.wait_healthy(timeout=180)
        assert len(PRINTED.findall(deployment.logs())) == 1
        async with httpx.AsyncClient(base_url=root, timeout=10) as client:
            assert (await sign_in(client, "admin", password)).status_code == 201
    finally:
        codes = deployment.stop_all()
    assert set(codes.values()) <= {0}, deployment.logs()
