"""Removes what a distributed run left in the shared PostgreSQL and RabbitMQ servers."""

from __future__ import annotations

import asyncio

import aio_pika
import asyncpg

from bench.cluster import BROKER_URL, DATABASE_URL

SERVICES_WITH_TABLES = ("api", "scheduler", "dispatcher")


async def _drop_schemas(prefix: str) -> None:
    # asyncpg takes a plain postgresql:// URL, not SQLAlchemy's dialect+driver form.
    connection = await asyncpg.connect(DATABASE_URL.replace("+asyncpg", ""), timeout=10)
    try:
        for service in SERVICES_WITH_TABLES:
            await connection.execute(f'DROP SCHEMA IF EXISTS "{prefix}{service}" CASCADE')
    finally:
        await connection.close()


async def _delete_broker_objects(namespace: str) -> None:
    connection = await aio_pika.connect(BROKER_URL, timeout=10)
    try:
        channel = await connection.channel()
        # Deleting what does not exist closes the channel, so each on a fresh one.
        await channel.queue_delete(f"{namespace}.tasks.default")
        channel = await connection.channel()
        await channel.exchange_delete(f"{namespace}.tasks")
    finally:
        await connection.close()


def cleanup(schema_prefix: str, broker_namespace: str) -> list[str]:
    """Best effort; returns a message per failure (the caller reports them) rather than
    raising, so a cleanup problem never hides the benchmark's own result."""

    async def both() -> list[str]:
        results = await asyncio.gather(
            _drop_schemas(schema_prefix),
            _delete_broker_objects(broker_namespace),
            return_exceptions=True,
        )
        what = (f"schemas {schema_prefix}*", f"RabbitMQ objects {broker_namespace}.tasks*")
        return [
            f"cleanup of {name} failed: {type(r).__name__}: {r}"
            for name, r in zip(what, results, strict=True)
            if isinstance(r, BaseException)
        ]

    return asyncio.run(both())
