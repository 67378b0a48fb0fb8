"""Each service's Alembic history builds exactly the tables its models describe, in its
own PostgreSQL schema and nowhere else."""

from __future__ import annotations

import importlib

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tradewind_core.db import Database

pytestmark = pytest.mark.postgres
SERVICES = ["api", "scheduler", "dispatcher"]


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_match_models(service, pg_database, schema_prefix):
    main = importlib.import_module(f"tradewind_{service}.main")
    models = importlib.import_module(f"tradewind_{service}.models")
    db = Database(pg_database, schema=f"{schema_prefix}{service}")
    await db.migrate(main.MIGRATIONS)
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), models.metadata)
        )
    await db.dispose()
    assert diff == []


async def test_each_service_keeps_to_its_own_schema(pg_database, schema_prefix):
    for service in SERVICES:
        main = importlib.import_module(f"tradewind_{service}.main")
        db = Database(pg_database, schema=f"{schema_prefix}{service}")
        await db.migrate(main.MIGRATIONS)
        await db.dispose()
    conn = await asyncpg.connect(pg_database.replace("+asyncpg", ""))
    try:
        rows = await conn.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema LIKE $1 ORDER BY 1, 2",
            schema_prefix + "%",
        )
    finally:
        await conn.close()
    tables: dict[str, set[str]] = {}
    for row in rows:
        tables.setdefault(row["table_schema"].removeprefix(schema_prefix), set()).add(
            row["table_name"]
        )
    assert tables == {
        "api": {
            "alembic_version",
            "dag",
            "dag_tag",
            "dag_version",
            "idempotency_key",
            "code_bundle",
            "variable",
            "connection",
            "event_log",
            "import_error",
            "tw_user",
            "api_token",
            "revoked_token",
            "dag_grant",
        },
        "scheduler": {
            "alembic_version",
            "dag",
            "dag_run",
            "task_instance",
            "scheduler_job",
            "task_instance_history",
            "attempt_stop",
            "pool",
            "set_aside_run",
            "backfill",
            "backfill_dag_run",
        },
        "dispatcher": {
            "alembic_version",
            "task_attempt",
            "worker",
            "task_log",
            "scheduler_outbox",
            "xcom",
            "task_log_chunk",
        },
    }
