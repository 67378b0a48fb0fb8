"""The dispatcher's storage on real PostgreSQL: attempts are claimed once, finished once,
and every change the scheduler must hear of leaves an outbox row."""

from __future__ import annotations

import asyncio

import pytest

from tradewind_core.db import Database
from tradewind_core.errors import Conflict, NotFound, PermissionDenied
from tradewind_dispatcher import attempts, outbox, task_log_lines
from tradewind_dispatcher.coalescing import Coalescer
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
    assert "claimed by another worker" in str(losers[0])


async def test_a_claim_made_again_by_its_worker_gets_the_same_claim(db):
    """The claim's answer was lost, or its message delivered again: the worker asks
    again and gets the claim it has, with the same fencing token; no one else does."""
    [attempt] = await record(db, new())
    tokens = []
    for _ in range(2):
        async with db.transaction() as session:
            claimed = await attempts.claim(session, attempt.id, worker_id="w1", hostname="h")
            tokens.append(claimed.fencing_token)
    assert tokens[0] == tokens[1]
    async with db.transaction() as session:
        with pytest.raises(Conflict, match="claimed by another worker"):
            await attempts.claim(session, attempt.id, worker_id="w2", hostname="h")
    async with db.reader() as session:
        assert await outbox.pending_events(session, 100) == []  # no start before a pid
    for _ in range(2):  # the task's process started: its first renewal names its pid
        async with db.transaction() as session:
            assert await attempts.renew_lease(session, attempt.id, tokens[0], 4242) is True
    async with db.reader() as session:
        events = [row.event for row in await outbox.pending_events(session, 100)]
    assert len(events) == 1  # one start, not two
    assert (events[0]["finished"], events[0]["pid"], events[0]["hostname"]) == (False, 4242, "h")
    async with db.transaction() as session:
        await attempts.finish(
            session, attempt.id, tokens[0], outcome="success", exit_code=0, reason="", pid=1
        )
    async with db.transaction() as session:
        with pytest.raises(Conflict, match="already success"):
            await attempts.claim(session, attempt.id, worker_id="w1", hostname="h")


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
        await attempts.renew_lease(session, attempt.id, token, 42)  # its process started
    async with db.transaction() as session:
        with pytest.raises(PermissionDenied, match="token does not match"):
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
        events = [row.event for row in await outbox.pending_events(session, 100)]
    assert [(e["finished"], e["state"]) for e in events] == [(False, ""), (True, "success")]
    assert events[1]["start_date"] and events[1]["end_date"] and events[1]["pid"] == 42


async def test_a_silent_worker_loses_its_attempt(db):
    [attempt] = await record(db, new())
    async with db.transaction() as session:
        claimed = await attempts.claim(session, attempt.id, worker_id="w1", hostname="h")
    await asyncio.sleep(0.3)
    async with db.transaction() as session:
        assert await attempts.fail_expired_leases(session, timeout=0.1) == 1
    async with db.transaction() as session:
        assert await attempts.renew_lease(session, attempt.id, claimed.fencing_token, 7) is False
    async with db.reader() as session:
        events = [row.event for row in await outbox.pending_events(session, 100)]
    assert events[-1]["state"] == "failed" and "did not renew its lease" in events[-1]["reason"]
    async with db.reader() as session:
        lines, _, complete = await task_log_lines.read(session, "ti-1", 1, 0)
    assert complete and lines[-1]["level"] == "error"
    assert "worker w1 did not renew its lease" in lines[-1]["event"]


async def test_logs_are_kept_per_try_in_order_and_a_resent_batch_once(db):
    [attempt] = await record(db, new())
    async with db.transaction() as session:
        claimed = await attempts.claim(session, attempt.id, worker_id="w1", hostname="h")
    batches = [(1, ["one", "two"]), (2, ["three"]), (2, ["three"])]  # a lost reply: resent
    for batch, events in batches:
        async with db.transaction() as session:
            await task_log_lines.append(
                session,
                attempt.id,
                claimed.fencing_token,
                batch=batch,
                lines=[task_log_lines.line(e) for e in events],
                max_bytes=1000,
            )
    async with db.reader() as session:
        lines, token, complete = await task_log_lines.read(session, "ti-1", 1, 0)
        assert [entry["event"] for entry in lines] == ["one", "two", "three"]
        assert not complete  # the try is still running: more may come
        assert await task_log_lines.read(session, "ti-1", 1, token) == ([], token, False)
        assert await task_log_lines.read(session, "ti-1", 2, 0) is None
    with pytest.raises(PermissionDenied):
        async with db.transaction() as session:
            await task_log_lines.append(
                session, attempt.id, "not-the-token", batch=3, lines=[], max_bytes=1000
            )


async def test_unclaimed_attempts_come_due_oldest_first_and_none_is_starved(db):
    from datetime import timedelta

    from tradewind_core.timeutil import utcnow

    items = await record(db, *(new(f"ti-{i:04}") for i in range(1200)))
    confirmed = items[0]
    async with db.transaction() as session:
        await attempts.mark_published(session, [confirmed.id])
    async with db.reader() as session:
        # Right after recording or publishing, the message may still be on its way.
        due = await attempts.unclaimed(
            session, published_before=utcnow() - timedelta(seconds=5), limit=500
        )
        assert due == []
    await asyncio.sleep(0.01)
    later = utcnow()  # what is published again from now on is not due before `later`
    seen: list[str] = []
    for _ in range(3):  # batches of 500: each one republished restarts its clock
        async with db.transaction() as session:
            batch = await attempts.unclaimed(session, published_before=later, limit=500)
            await attempts.mark_published(session, [a.id for a in batch])
        seen += [a.id for a in batch]
    assert len(seen) == len(set(seen)) == 1200
    # Longest waiting first: the one whose message went out last comes last.
    assert seen[-1] == confirmed.id
    # A claimed attempt is never due.
    async with db.transaction() as session:
        await attempts.claim(session, items[1].id, worker_id="w1", hostname="h")
    async with db.reader() as session:
        everything = await attempts.unclaimed(session, published_before=None, limit=5000)
    assert len(everything) == 1199 and items[1].id not in {a.id for a in everything}


async def test_claims_arriving_together_are_written_together_and_answered_alone(db):
    """Claims written in one batch each get their own answer; one that breaks the whole
    batch's transaction (a hostname longer than the column) fails alone."""
    made = await record(db, *(new(f"ti-{n}") for n in range(4)))
    writes: list[int] = []

    async def write(requests):
        writes.append(len(requests))
        async with db.transaction() as session:
            return await attempts.claim_many(session, requests)

    claims = Coalescer("claims", write)
    requests = [
        attempts.ClaimRequest(made[0].id, "w1", "h"),
        attempts.ClaimRequest(made[1].id, "w1", "h" * 2000),  # refused by the database
        attempts.ClaimRequest("00000000-0000-0000-0000-000000000000", "w1", "h"),
        attempts.ClaimRequest(made[2].id, "w1", "h"),
        attempts.ClaimRequest(made[2].id, "w2", "h"),  # a second worker for the same attempt
        attempts.ClaimRequest(made[3].id, "w1", "h"),
    ]
    answers = await asyncio.gather(*(claims.submit(r) for r in requests), return_exceptions=True)
    assert writes[0] == len(requests)  # one transaction for all, first
    assert [a.state for a in (answers[0], answers[3], answers[5])] == ["running"] * 3
    assert not isinstance(answers[1], attempts.TaskAttempt)
    assert isinstance(answers[2], NotFound)
    assert isinstance(answers[4], Conflict)
    async with db.reader() as session:
        states = {
            a.id: a.state for a in [await session.get(attempts.TaskAttempt, m.id) for m in made]
        }
    assert states == {
        made[0].id: "running",
        made[1].id: "queued",
        made[2].id: "running",
        made[3].id: "running",
    }
