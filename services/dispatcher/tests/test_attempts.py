"""The dispatcher's storage on real PostgreSQL: attempts are claimed once, finished once,
and every change the scheduler must hear of leaves an outbox row."""

from __future__ import annotations

import asyncio

import pytest

from tradewind_core.db import Database
from tradewind_core.errors import Conflict, NotFound
from tradewind_dispatcher import attempts
from tradewind_dispatcher.main import MIGRATIONS

pytestmark = pytest.mark.postgres


@pytest.fixture
async def db(pg_database, schema_prefix):
    database = Database(pg_database, schema=f"{schema_prefix}dispatcher")
    await database.migrate(MIGRATIONS)
    await database.migrate(MIGRATIONS)  # a second start finds nothing to do
    yield database
    await database.dispose()


def new(ti: str = "ti-1", try_number: int = 1) -> attempts.NewAttempt:
    return attempts.NewAttempt(
        task_instance_id=ti,
        try_number=try_number,
        dag_id="d",
        run_id="r",
        task_id="a",
        map_index=-1,
        queue="default",
        priority_weight=1,
        task={"task_id": "a", "operator": "bash", "bash_command": "true"},
        context={},
    )


async def record(db: Database, *items: attempts.NewAttempt):
    async with db.transaction() as session:
        return await attempts.record_attempts(session, list(items))


async def test_dispatching_twice_records_one_attempt(db):
    first = await record(db, new(), new("ti-2"))
    again = await record(db, new(), new("ti-2"), new("ti-2", try_number=2))
    assert len(first) == 2
    assert [(a.task_instance_id, a.try_number) for a in again] == [("ti-2", 2)]


async def test_only_one_of_two_concurrent_claims_wins(db):
    [attempt] = await record(db, new())

    async def claim(worker: str):
        async with db.transaction() as session:
            return await attempts.claim(session, attempt.id, worker_id=worker, hostname="h")

    results = await asyncio.gather(claim("w1"), claim("w2"), return_exceptions=True)
    winners = [r for r in results if not isinstance(r, Exception)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 1
    assert "already running" in str(losers[0])


async def test_claiming_an_unknown_attempt_is_not_found(db):
    async with db.transaction() as session:
        with pytest.raises(NotFound):
            await attempts.claim(
                session, "00000000-0000-0000-0000-000000000000", worker_id="w", hostname="h"
            )


async def test_results_are_fenced_and_idempotent(db):
    [attempt] = await record(db, new())
    async with db.transaction() as session:
        claimed = await attempts.claim(session, attempt.id, worker_id="w1", hostname="h")
    token = claimed.fencing_token
    async with db.transaction() as session:
        with pytest.raises(Conflict, match="another claim"):
            await attempts.finish(
                session,
                attempt.id,
                "not-the-token",
                outcome="success",
                exit_code=0,
                reason="",
                pid=1,
            )
    for _ in range(2):  # the worker retries after a lost answer
        async with db.transaction() as session:
            await attempts.finish(
                session, attempt.id, token, outcome="success", exit_code=0, reason="", pid=42
            )
    async with db.transaction() as session:
        with pytest.raises(Conflict, match="already ended as success"):
            await attempts.finish(
                session, attempt.id, token, outcome="failed", exit_code=1, reason="", pid=42
            )
    async with db.reader() as session:
        events = [row.event for row in await attempts.pending_events(session, 100)]
    assert [(e["finished"], e["state"]) for e in events] == [(False, ""), (True, "success")]
    assert events[1]["start_date"] and events[1]["end_date"] and events[1]["pid"] == 42


async def test_a_silent_worker_loses_its_attempt(db):
    [attempt] = await record(db, new())
    async with db.transaction() as session:
        claimed = await attempts.claim(session, attempt.id, worker_id="w1", hostname="h")
    await asyncio.sleep(0.3)
    async with db.transaction() as session:
        assert await attempts.fail_lost_attempts(session, timeout=0.1) == 1
    async with db.transaction() as session:
        assert await attempts.heartbeat(session, attempt.id, claimed.fencing_token, 7) is False
    async with db.reader() as session:
        events = [row.event for row in await attempts.pending_events(session, 100)]
    assert events[-1]["state"] == "failed" and "stopped heartbeating" in events[-1]["reason"]
    async with db.reader() as session:
        assert "worker w1 stopped heartbeating" in await attempts.task_log(session, "ti-1", 1)


async def test_logs_are_kept_per_try_in_order(db):
    [attempt] = await record(db, new())
    async with db.transaction() as session:
        claimed = await attempts.claim(session, attempt.id, worker_id="w1", hostname="h")
    for chunk in ("one\n", "two\n"):
        async with db.transaction() as session:
            await attempts.append_log(session, attempt.id, claimed.fencing_token, chunk)
    async with db.reader() as session:
        assert await attempts.task_log(session, "ti-1", 1) == "one\ntwo\n"
        assert await attempts.task_log(session, "ti-1", 2) is None


async def test_only_unconfirmed_attempts_are_republished(db):
    from datetime import timedelta

    from tradewind_core.timeutil import utcnow

    confirmed, lost = await record(db, new("ti-1"), new("ti-2"))
    async with db.transaction() as session:
        await attempts.mark_published(session, [confirmed.id])
    later = utcnow() + timedelta(seconds=1)
    async with db.reader() as session:
        assert [a.id for a in await attempts.unpublished(session, created_before=later)] == [
            lost.id
        ]
        # Right after recording, the publish may still be under way: not yet due.
        assert (
            await attempts.unpublished(session, created_before=utcnow() - timedelta(seconds=5))
            == []
        )
        # After a restart of the in-process broker, every queued attempt is due.
        everything = await attempts.unpublished(session, created_before=None)
    assert {a.id for a in everything} == {confirmed.id, lost.id}
