"""XCom storage on real PostgreSQL: only the holder of a running attempt writes, values
are JSON and bounded, a retry starts clean, reads stay within the attempt's own run."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from tradewind_core.errors import Conflict, InvalidArgument, PermissionDenied
from tradewind_dispatcher import attempts, xcom

from .test_attempts import new, record

pytestmark = pytest.mark.postgres
LIMIT = 100


async def claimed(db, item):
    [attempt] = await record(db, item)
    async with db.transaction() as session:
        return await attempts.claim(session, attempt.id, worker_id="w", hostname="h")


async def push(db, attempt, key, value, token=None):
    async with db.transaction() as session:
        await xcom.push(
            session,
            attempt.id,
            token or attempt.fencing_token,
            key=key,
            value_json=json.dumps(value),
            max_bytes=LIMIT,
        )


async def entries(db, task_id="a", run_id="r"):
    async with db.reader() as session:
        rows, total = await xcom.list_entries(
            session,
            dag_id="d",
            run_id=run_id,
            task_id=task_id,
            key=None,
            map_index=-1,
            limit=50,
            offset=0,
        )
    return {r.key: json.loads(r.value) for r in rows}, total


async def test_values_are_stored_replaced_and_pulled_within_the_run(dispatcher_db):
    db = dispatcher_db
    a = await claimed(db, new("ti-a"))
    await push(db, a, "return_value", {"rows": 3})
    await push(db, a, "return_value", {"rows": 4})  # the same key again: replaced
    await push(db, a, "extra", [1, 2])
    assert await entries(db) == ({"extra": [1, 2], "return_value": {"rows": 4}}, 2)
    other_run = await claimed(db, replace(new("ti-x"), run_id="r2", task_id="b"))
    reader = await claimed(db, replace(new("ti-b"), task_id="b"))
    async with db.reader() as session:
        found = await xcom.pull(
            session,
            reader.id,
            reader.fencing_token,
            [xcom.XComRef("a", "return_value"), xcom.XComRef("a", "missing")],
        )
        # Another run's task sees nothing of run r.
        elsewhere = await xcom.pull(
            session, other_run.id, other_run.fencing_token, [xcom.XComRef("a", "return_value")]
        )
    assert [(r.task_id, r.key, json.loads(r.value)) for r in found] == [
        ("a", "return_value", {"rows": 4})
    ]
    assert elsewhere == []


async def test_oversized_non_json_and_foreign_writes_are_refused(dispatcher_db):
    db = dispatcher_db
    a = await claimed(db, new("ti-a"))
    with pytest.raises(InvalidArgument, match=r"is 102 bytes of JSON; the limit is 100 bytes"):
        await push(db, a, "big", "x" * LIMIT)
    with pytest.raises(InvalidArgument, match="not JSON"):
        async with db.transaction() as session:
            await xcom.push(
                session, a.id, a.fencing_token, key="k", value_json="{", max_bytes=LIMIT
            )
    with pytest.raises(PermissionDenied, match="not held by this caller"):
        await push(db, a, "k", 1, token="someone-else")
    async with db.transaction() as session:
        await attempts.finish(
            session, a.id, a.fencing_token, outcome="success", exit_code=0, reason="", pid=1
        )
    with pytest.raises(Conflict, match="already success"):
        await push(db, a, "late", 1)
    assert await entries(db) == ({}, 0)  # nothing was stored by any of them


async def test_a_retry_starts_without_what_the_earlier_try_pushed(dispatcher_db):
    db = dispatcher_db
    first = await claimed(db, new("ti-a", try_number=1))
    await push(db, first, "return_value", "first try")
    async with db.transaction() as session:
        await attempts.finish(
            session, first.id, first.fencing_token, outcome="failed", exit_code=1, reason="", pid=1
        )
    second = await claimed(db, new("ti-a", try_number=2))
    async with db.transaction() as session:
        await xcom.clear_earlier_tries(session, second.id, second.fencing_token)
    assert await entries(db) == ({}, 0)
    await push(db, second, "return_value", "second try")
    async with db.transaction() as session:  # repeated (a lost reply): keeps this try's value
        await xcom.clear_earlier_tries(session, second.id, second.fencing_token)
    assert await entries(db) == ({"return_value": "second try"}, 1)
