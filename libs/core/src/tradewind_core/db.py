"""Database engine and transaction helpers shared by the services that own tables.

Each service owns one slice of the metadata database: on PostgreSQL a schema of its own
(connections get `search_path` set to it, so table models carry no schema name and the
same models run on SQLite), in standalone mode a SQLite file of its own.

Transport edges (routes, servicers, consumers) open `transaction()` and it commits once
on the way out; code below takes a `session` and only flushes.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# Alembic keeps the migration context in module globals, so two services migrating in one
# process (standalone mode) must take turns: one lock per event loop.
_migration_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _migration_turn() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    if loop not in _migration_turns:
        _migration_turns[loop] = asyncio.Lock()
    return _migration_turns[loop]


class Database:
    def __init__(
        self, url: str, *, schema: str, pool_size: int = 10, pre_ping: bool = False
    ) -> None:
        self.url = make_url(url)
        self.schema = schema
        self.is_postgres = self.url.get_backend_name() == "postgresql"
        if self.is_postgres:
            self.engine: AsyncEngine = create_async_engine(
                self.url,
                pool_size=pool_size,
                max_overflow=pool_size,
                # Off on the task path (a round trip per transaction): after a database
                # restart the first statement on a stale connection fails, the pool drops
                # every connection older than it, and the caller retries. On for the api,
                # whose callers are people.
                pool_pre_ping=pre_ping,
                connect_args={"server_settings": {"search_path": schema}},
            )
        else:
            if self.url.database:
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_async_engine(self.url, connect_args={"timeout": 30})
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite allows one writer at a time and refuses (rather than waits for) a reader
        # that tries to become a writer; serializing write transactions in-process avoids
        # both. Standalone mode runs each service in one process, so this is enough there.
        self._sqlite_writer = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits once at the end, or rolls back on any error."""
        if self.is_postgres:
            async with self._sessions() as session, session.begin():
                yield session
        else:
            async with self._sqlite_writer, self._sessions() as session, session.begin():
                yield session

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only; never commits."""
        async with self._sessions() as session:
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def migrate(self, script_location: Path) -> None:
        """Brings this service's tables to the newest revision of its own Alembic history."""
        async with _migration_turn(), self.engine.begin() as conn:
            if self.is_postgres:
                # Replicas starting together must not both run the same migration.
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(hashtext(:name))"),
                    {"name": f"tradewind-migrate-{self.schema}"},
                )
                await conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
            await conn.run_sync(_upgrade, script_location)

    async def dispose(self) -> None:
        await self.engine.dispose()


def _upgrade(connection: Connection, script_location: Path) -> None:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def run_alembic_env(target_metadata: Any) -> None:
    """The body of every service's migrations/env.py: migrate on the caller's connection."""
    from alembic import context

    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
