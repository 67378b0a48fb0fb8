"""Variables and connections over HTTP with the services serving for real (PostgreSQL):
Airflow's shapes and codes, secrets encrypted at rest and masked in every answer, bulk
bodies, bad input refused naming the field with nothing changed, and key rotation by the
`tradewind rotate-fernet-key` command."""

from __future__ import annotations

import asyncio
import os
import stat
import sys

import asyncpg
import pytest
from cryptography.fernet import Fernet, InvalidToken
from pydantic import ValidationError

from services.api.tests.test_rest_api import api, assert_problem  # noqa: F401
from tradewind_api.secrets import SecretBox
from tradewind_api.settings import ApiSettings

pytestmark = pytest.mark.postgres
KEY = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def fernet_key(monkeypatch, tmp_path):
    """Set before the services start (autouse fixtures come first)."""
    monkeypatch.setenv("TRADEWIND_FERNET_KEY", KEY)
    monkeypatch.setenv("TRADEWIND_HOME", str(tmp_path))


async def _rows(pg_database: str, schema_prefix: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
    try:
        return await conn.fetch(sql.replace("api.", f'"{schema_prefix}api".'))
    finally:
        await conn.close()


CONNECTION = {
    "connection_id": "warehouse",
    "conn_type": "postgres",
    "host": "db.example",
    "port": 5432,
    "login": "loader",
    "password": "hunter2",
    "extra": '{"sslmode": "require", "nested": {"private_key": "pem"}}',
}


async def test_secrets_are_encrypted_at_rest_and_masked_in_answers(
    api,  # noqa: F811
    pg_database,
    schema_prefix,
):
    created = await api.post("/connections", json=CONNECTION)
    assert created.status_code == 201, created.text
    shown = created.json()
    assert shown["password"] == "***" and shown["login"] == "loader"
    assert shown["extra"] == '{"sslmode": "require", "nested": {"private_key": "***"}}'
    assert (await api.post("/variables", json={"key": "db_password", "value": "s3"})).is_success
    assert (await api.post("/variables", json={"key": "limits", "value": {"n": 3}})).is_success
    assert (await api.get("/variables/db_password")).json()["value"] == "***"
    assert (await api.get("/variables/limits")).json() == {
        "key": "limits",
        "value": '{"n": 3}',
        "description": None,
        "is_encrypted": True,
        "team_name": None,
    }

    [conn] = await _rows(pg_database, schema_prefix, "SELECT * FROM api.connection")
    assert "hunter2" not in conn["password"] and "pem" not in conn["extra"]
    assert Fernet(KEY).decrypt(conn["password"].encode()) == b"hunter2"
    assert conn["is_encrypted"] and conn["is_extra_encrypted"]
    values = await _rows(pg_database, schema_prefix, "SELECT key, val FROM api.variable")
    assert all(r["val"] not in ("s3", '{"n": 3}') for r in values)

    # What an answer showed, sent back, keeps the stored secrets.
    again = await api.patch("/connections/warehouse", json={**shown, "schema": "sales"})
    assert again.status_code == 200, again.text
    [kept] = await _rows(pg_database, schema_prefix, "SELECT * FROM api.connection")
    assert Fernet(KEY).decrypt(kept["password"].encode()) == b"hunter2"
    assert b"pem" in Fernet(KEY).decrypt(kept["extra"].encode())
    assert kept["schema"] == "sales"

    # Rotation: the new key first, the old one still accepted; afterwards the new alone
    # decrypts every secret.
    new = Fernet.generate_key().decode()
    done = await _cli("rotate-fernet-key", pg_database, schema_prefix, f"{new},{KEY}")
    assert done.returncode == 0, done.stderr
    assert "2 variables and 1 connections" in done.stdout
    [rotated] = await _rows(pg_database, schema_prefix, "SELECT * FROM api.connection")
    assert Fernet(new).decrypt(rotated["password"].encode()) == b"hunter2"
    with pytest.raises(InvalidToken):
        Fernet(KEY).decrypt(rotated["password"].encode())

    # A key that decrypts nothing: refused, and nothing changes.
    wrong = Fernet.generate_key().decode()
    refused = await _cli("rotate-fernet-key", pg_database, schema_prefix, wrong)
    assert refused.returncode == 1 and "nothing was changed" in refused.stderr
    [same] = await _rows(pg_database, schema_prefix, "SELECT * FROM api.connection")
    assert same["password"] == rotated["password"]


async def _cli(command: str, pg_database: str, schema_prefix: str, key: str):
    env = {
        **os.environ,
        "TRADEWIND_DATABASE_URL": pg_database,
        "TRADEWIND_DATABASE_SCHEMA_PREFIX": schema_prefix,
        "TRADEWIND_FERNET_KEY": key,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tradewind_cli.main",
        command,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 180)

    class Done:
        returncode = process.returncode
        stdout = out.decode()
        stderr = err.decode()

    return Done


async def test_crud_and_bulk_with_airflows_codes(api):  # noqa: F811
    assert (await api.post("/variables", json={"key": "a", "value": "1"})).status_code == 201
    assert_problem(await api.post("/variables", json={"key": "a", "value": "2"}), 409)
    assert_problem(await api.get("/variables/nope"), 404)
    assert_problem(await api.delete("/variables/nope"), 404)
    assert_problem(await api.patch("/variables/nope", json={"key": "nope", "value": "x"}), 404)
    patched = await api.patch(
        "/variables/a",
        json={"key": "a", "value": "ignored", "description": "kept"},
        params={"update_mask": ["description"]},
    )
    assert patched.json()["value"] == "1" and patched.json()["description"] == "kept"
    bulk = await api.patch(
        "/variables",
        json={
            "actions": [
                {
                    "action": "create",
                    "entities": [{"key": "a", "value": "x"}, {"key": "b", "value": "2"}],
                },
                {
                    "action": "update",
                    "entities": [{"key": "ghost", "value": "x"}],
                    "action_on_non_existence": "skip",
                },
                {"action": "delete", "entities": ["ghost", "b"]},
            ]
        },
    )
    assert bulk.status_code == 200, bulk.text
    assert bulk.json() == {
        "create": {
            "success": ["b"],
            "errors": [{"error": "The Variable with key: `a` already exists", "status_code": 409}],
        },
        "update": {"success": [], "errors": []},
        "delete": {
            "success": ["b"],
            "errors": [
                {"error": "The Variable with key: `ghost` was not found", "status_code": 404}
            ],
        },
    }
    overwrite = await api.patch(
        "/variables",
        json={
            "actions": [
                {
                    "action": "create",
                    "entities": [{"key": "a", "value": "new"}],
                    "action_on_existence": "overwrite",
                }
            ]
        },
    )
    assert overwrite.json()["create"]["success"] == ["a"]
    assert (await api.get("/variables/a")).json()["value"] == "new"
    listed = (await api.get("/variables", params={"order_by": "-key"})).json()
    assert [v["key"] for v in listed["variables"]] == ["a"] and listed["total_entries"] == 1

    assert (await api.post("/connections", json=CONNECTION)).status_code == 201
    assert_problem(await api.post("/connections", json=CONNECTION), 409)
    assert_problem(await api.get("/connections/nope"), 404)
    assert (await api.delete("/connections/warehouse")).status_code == 204
    assert_problem(await api.delete("/connections/warehouse"), 404)


@pytest.mark.parametrize(
    ("method", "path", "body", "params", "field"),
    [
        ("post", "/variables", {"key": "", "value": "x"}, {}, "body.key"),
        ("post", "/variables", {"key": "k"}, {}, "body.value"),
        ("post", "/variables", {"key": "k", "value": "x", "secret": 1}, {}, "body.secret"),
        ("post", "/connections", {**CONNECTION, "connection_id": "a b"}, {}, "body.connection_id"),
        ("post", "/connections", {**CONNECTION, "port": 70000}, {}, "body.port"),
        ("post", "/connections", {"connection_id": "c"}, {}, "body.conn_type"),
        ("post", "/connections", {**CONNECTION, "extra": "[1]"}, {}, "body.extra"),
        ("get", "/variables", None, {"order_by": "value"}, "order_by"),
        ("get", "/connections", None, {"limit": -1}, "query.limit"),
        ("patch", "/variables/a", {"key": "b", "value": "x"}, {}, "body.key"),
        (
            "patch",
            "/variables/a",
            {"key": "a", "value": "x"},
            {"update_mask": "key"},
            "update_mask",
        ),
        ("patch", "/variables", {"actions": [{"action": "upsert", "entities": []}]}, {}, "body"),
    ],
)
async def test_bad_input_is_refused_naming_the_field(api, method, path, body, params, field):  # noqa: F811
    assert (await api.post("/variables", json={"key": "a", "value": "1"})).status_code == 201
    kwargs = {"params": params} | ({"json": body} if body is not None else {})
    problem = assert_problem(await getattr(api, method)(path, **kwargs), 422)
    named = [e["field"] for e in problem.get("errors") or []]
    assert any(n.startswith(field) for n in named) or problem["detail"].startswith(field), problem
    assert (await api.get("/variables/a")).json()["value"] == "1"
    assert (await api.get("/variables")).json()["total_entries"] == 1
    assert (await api.get("/connections")).json()["total_entries"] == 0


def test_standalone_keeps_one_key_under_its_home(tmp_path, monkeypatch):
    monkeypatch.delenv("TRADEWIND_FERNET_KEY")
    settings = ApiSettings(home=tmp_path)
    token = SecretBox.from_settings(settings).encrypt("hunter2")
    key_file = tmp_path / "fernet.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # The next start reads the same key: what was stored stays readable.
    assert SecretBox.from_settings(ApiSettings(home=tmp_path)).decrypt(token) == "hunter2"


def test_a_malformed_key_is_refused_naming_the_setting_not_the_key(monkeypatch):
    monkeypatch.setenv("TRADEWIND_FERNET_KEY", "not-a-key")
    with pytest.raises(ValidationError) as refused:
        ApiSettings()
    # What `tradewind` prints for a bad setting: its name and the message, never the value.
    [error] = refused.value.errors()
    assert error["loc"] == ("fernet_key",) and "not a Fernet key" in error["msg"]
    assert "not-a-key" not in error["msg"]
