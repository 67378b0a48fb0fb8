"""Stopping attempts on real PostgreSQL: a queued one can no longer be claimed, a running
one is told to stop at its next heartbeat, the reason lands in the try's log, and a stop
that overtakes its dispatch keeps the dispatch from publishing. Each try's end reaches
the scheduler as a "finished" event: at once for a try that never ran, from the worker's
report for one that ran (so the scheduler learns when its process is gone)."""

from __future__ import annotations

import pytest

from tradewind_core.db import Database
from tradewind_core.errors import Conflict
from tradewind_dispatcher import attempts, outbox, status, task_log_lines
from tradewind_dispatcher.main import MIGRATIONS
from tradewind_dispatcher.stopping import StopRequest, stop_attempts

from .test_attempts import new, record

pytestmark = pytest.mark.postgres


@pytest.fixture
async def db(pg_database, schema_prefix):
    database = Database(pg_database, schema=f"{schema_prefix}dispatcher")
    await database.migrate(MIGRATIONS)
    yield database
    await database.dispose()


async def stop(db: Database, *requests: StopRequest) -> int:
    return (await stop_with_events(db, *requests))[0]


async def stop_with_events(db: Database, *requests: StopRequest) -> tuple[int, list[tuple]]:
    async with db.transaction() as session:
        stopped = await stop_attempts(session, list(requests))
    return stopped, _events(session)


def _events(session) -> list[tuple]:  # noqa: ANN001
    return [
        (r.event["task_instance_id"], r.event["try_number"], r.event["finished"], r.event["state"])
        for r in outbox.new_rows(session)
    ]


async def test_a_stopped_queued_attempt_cannot_be_claimed(db):
    [attempt] = await record(db, new())
    stopped, events = await stop_with_events(db, StopRequest("ti-1", 1, "marked success by a user"))
    assert stopped == 1
    assert events == [("ti-1", 1, True, "failed")]  # it never ran: over at once
    async with db.transaction() as session:
        with pytest.raises(Conflict, match="already failed"):
            await attempts.claim(session, attempt.id, worker_id="w", hostname="h")
    async with db.reader() as session:
        lines, _, complete = await task_log_lines.read(session, "ti-1", 1, after=0)
    assert [line["event"] for line in lines] == ["[tradewind] stopped: marked success by a user"]
    assert complete


async def test_a_stopped_running_attempt_is_told_to_stop_and_stopping_again_is_harmless(db):
    [attempt] = await record(db, new())
    async with db.transaction() as session:
        claimed = await attempts.claim(session, attempt.id, worker_id="w", hostname="h")
    async with db.transaction() as session:
        assert await attempts.renew_lease(session, attempt.id, claimed.fencing_token, 7) is True
    request = StopRequest("ti-1", 1, "run marked failed by a user")
    # Asked to stop, not ended: its process may still run, so no event yet.
    assert await stop_with_events(db, request) == (1, [])
    assert await stop_with_events(db, request) == (0, [])
    async with db.transaction() as session:
        assert await attempts.renew_lease(session, attempt.id, claimed.fencing_token, 7) is False
    # The killed task's own report ends the try: that end is the scheduler's event.
    async with db.transaction() as session:
        await attempts.finish(
            session,
            attempt.id,
            claimed.fencing_token,
            outcome="failed",
            exit_code=-15,
            reason="",
            pid=7,
        )
    assert _events(session) == [("ti-1", 1, True, "failed")]


async def test_a_stop_that_overtakes_its_dispatch_keeps_it_from_being_published(db):
    stopped, events = await stop_with_events(db, StopRequest("ti-1", 1, "cleared by a user"))
    assert (stopped, events) == (0, [("ti-1", 1, True, "failed")])
    recorded = await record(db, new(), new("ti-2"))
    assert [(a.task_instance_id, a.try_number) for a in recorded] == [("ti-2", 1)]
    async with db.reader() as session:
        counts = await status.status(session, worker_timeout=30)
    assert (counts["queued"], counts["running"]) == (1, 0)  # ti-2 only
