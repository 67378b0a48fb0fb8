from __future__ import annotations

import pytest

from tradewind_core.db import Database
from tradewind_dispatcher.main import MIGRATIONS


@pytest.fixture
async def dispatcher_db(pg_database, schema_prefix):
    """The dispatcher's tables, migrated, in a schema of this test's own."""
    database = Database(pg_database, schema=f"{schema_prefix}dispatcher")
    await database.migrate(MIGRATIONS)
    yield database
    await database.dispose()
