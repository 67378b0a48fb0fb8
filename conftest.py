"""Fixtures shared by every test folder: the local PostgreSQL and RabbitMQ, isolated per test.

Each test that touches PostgreSQL gets its own schemas (a random prefix), dropped
afterwards; each that touches RabbitMQ gets its own exchange and queue namespace."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator

import asyncpg
import hypothesis  # noqa: F401  imported now: its plugin's late import at session end can hit
import pytest  # CPython 3.11.7's AST recursion-depth check after greenlet switches

from tradewind_core.local_ports import free_port

PG_ADMIN = os.environ.get("TRADEWIND_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_DATABASE = "tradewind_test"
AMQP_URL = os.environ.get("TRADEWIND_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672/")
# Every Tradewind a test starts makes its first user `admin` with this password, and the
# tests sign in as it (the role tests make their own users).
ADMIN_PASSWORD = "test-admin-password"
os.environ["TRADEWIND_ADMIN_PASSWORD"] = ADMIN_PASSWORD


def admin_auth():
    """httpx authentication as the first user, for the tests' API clients."""
    from tradewind_client import PasswordAuth

    return PasswordAuth("admin", ADMIN_PASSWORD)


async def admin_token(rest) -> str:  # type: ignore[no-untyped-def]
    """An access token of the first user, from the server `rest` (an httpx client) talks to."""
    root = str(rest.base_url).removesuffix("/").removesuffix("/api/v2")
    answer = await rest.post(
        f"{root}/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["access_token"]


def signed_in_channel(address: str, token: str):  # type: ignore[no-untyped-def]
    """An asyncio gRPC channel whose every call carries `token`."""
    import grpc
    from tradewind_client.auth import aio_bearer_interceptors

    return grpc.aio.insecure_channel(address, interceptors=aio_bearer_interceptors(token))


@pytest.fixture(scope="session")
def pg_database() -> str:
    """An asyncpg SQLAlchemy URL of a database kept for tests (created when missing)."""
    import asyncio

    async def ensure() -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            exists = await conn.fetchval(
                "SELECT 1 FROM pg_database WHERE datname = $1", TEST_DATABASE
            )
            if not exists:
                await conn.execute(f'CREATE DATABASE "{TEST_DATABASE}"')
        finally:
            await conn.close()

    asyncio.run(ensure())
    base = PG_ADMIN.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+asyncpg://')}/{TEST_DATABASE}"


@pytest.fixture
async def schema_prefix(pg_database: str) -> AsyncIterator[str]:
    prefix = f"t{secrets.token_hex(4)}_"
    yield prefix
    conn = await asyncpg.connect(pg_database.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        schemas = await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", prefix + "%"
        )
        for row in schemas:
            await conn.execute(f'DROP SCHEMA "{row["nspname"]}" CASCADE')
    finally:
        await conn.close()


@pytest.fixture
async def broker_namespace() -> AsyncIterator[str]:
    import aio_pika

    namespace = f"test-{secrets.token_hex(4)}"
    yield namespace
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        for queue in ("default", "other", "dead"):
            await channel.queue_delete(f"{namespace}.tasks.{queue}")
        await channel.exchange_delete(f"{namespace}.tasks")


@pytest.fixture
def internal_secret() -> str:
    """The secret a test's services share (TRADEWIND_INTERNAL_SECRET)."""
    return secrets.token_urlsafe(32)


@pytest.fixture
def service_ports(internal_secret: str) -> dict[str, str]:
    """TRADEWIND_* settings giving every service a free port on loopback, and the secret
    they know each other by. Tests run as root: their tasks do too, said explicitly (the
    tests of TRADEWIND_WORKER_TASK_USER set a user of their own)."""
    return {
        "internal_secret": internal_secret,
        "worker_run_tasks_as_root": "true",
        "api_port": str(free_port()),
        "api_grpc_address": f"127.0.0.1:{free_port()}",
        "scheduler_address": f"127.0.0.1:{free_port()}",
        "dispatcher_address": f"127.0.0.1:{free_port()}",
    }
