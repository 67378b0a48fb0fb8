"""What a scheduling step reads does not grow with the size of the run: each query a step
sends is run again under EXPLAIN (ANALYZE, BUFFERS) on real PostgreSQL, and the pages it
touches for a 3,000-task run must stay near what it touches for a 30-task one (a run a
hundred times larger, at most twice the pages plus a few: dead row versions that another
transaction keeps vacuum from clearing cost a little, a scan of the run's rows a lot).
Pages read, unlike time, no other load on the machine can change."""

from __future__ import annotations

import json

import asyncpg
import pytest
from sqlalchemy import event, update

from tradewind_core.db import Database
from tradewind_core.spec import parse_dag_spec
from tradewind_core.timeutil import utcnow
from tradewind_scheduler import queries, runs
from tradewind_scheduler.main import MIGRATIONS
from tradewind_scheduler.models import TaskInstance

pytestmark = pytest.mark.postgres


def chain(dag_id: str, n: int) -> dict:
    tasks = [{"task_id": "t0", "operator": "bash", "bash_command": "true"}]
    tasks += [
        {"task_id": f"t{i}", "operator": "bash", "bash_command": "true", "upstream": [f"t{i - 1}"]}
        for i in range(1, n)
    ]
    return {"dag_id": dag_id, "max_active_tasks": 16, "tasks": tasks}


async def _run_midway(db: Database, n: int) -> int:
    """A running chain of n tasks, nine tenths done: one task queued, one ready."""
    spec = parse_dag_spec(chain(f"chain_{n}", n))
    async with db.transaction() as session:
        await runs.register_dag(session, dag_id=spec.dag_id, dag_version_id="v", is_paused=False)
        run = await runs.create_run(
            session,
            spec=spec,
            dag_version_id="v",
            run_id="r",
            logical_date=None,
            conf={},
            note=None,
            triggered_by="test",
        )
        run.state = "running"
    done = n * 9 // 10
    now = utcnow()
    async with db.transaction() as session:
        # Each task instance goes through the states a real step moves it through, so
        # the indexes hold what they hold mid-run.
        for state in ("scheduled", "queued", "success"):
            await session.execute(
                update(TaskInstance)
                .where(
                    TaskInstance.dag_run_pk == run.id,
                    TaskInstance.task_id.in_([f"t{i}" for i in range(done)]),
                )
                .values(state=state, scheduled_when=now, queued_when=now)
            )
        await session.execute(
            update(TaskInstance)
            .where(TaskInstance.dag_run_pk == run.id, TaskInstance.task_id == f"t{done}")
            .values(state="queued", try_number=1, queued_when=now)
        )
        await session.execute(
            update(TaskInstance)
            .where(TaskInstance.dag_run_pk == run.id, TaskInstance.task_id == f"t{done + 1}")
            .values(state="scheduled", scheduled_when=now)
        )
    return run.id  # type: ignore[return-value]


async def _pages_read(db: Database, run_pk: int, n: int) -> dict[str, int]:
    """Shared buffers each of a step's reads touches, by query."""
    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        captured.append((statement, parameters))

    done = n * 9 // 10
    reads = {
        "a run's open task instances": lambda s: queries.has_open_task_instances(s, run_pk),
        "candidates by task id": lambda s: queries.task_instances(s, run_pk, [f"t{done + 1}"]),
        "pool occupancy": lambda s: queries.lock_pools(s, ["default_pool"]),
        "the pool's ready queue": lambda s: queries.scheduled_in_pool(
            s, "default_pool", limit=128, after=None, skip_dags=()
        ),
        "a task's active instances": lambda s: queries.active_per_dag_task(
            s, [(f"chain_{n}", f"t{done}")]
        ),
        "a run's task's active instances": lambda s: queries.active_per_run_task(
            s, [(run_pk, f"t{done}")]
        ),
    }
    pages: dict[str, int] = {}
    async with db.transaction() as session:
        sync_engine = db.engine.sync_engine
        for name, read in reads.items():
            captured.clear()
            event.listen(sync_engine, "before_cursor_execute", capture)
            try:
                await read(session)
            finally:
                event.remove(sync_engine, "before_cursor_execute", capture)
            statement, parameters = captured[-1]
            conn = await session.connection()
            plan = (
                await conn.exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters
                )
            ).scalar()
            plan = json.loads(plan) if isinstance(plan, str) else plan
            pages[name] = _buffers(plan[0]["Plan"])
    return pages


async def _vacuum(url: str, schema: str, *, analyze: bool) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        what = "VACUUM (ANALYZE)" if analyze else "VACUUM"
        await conn.execute(f'{what} "{schema}".task_instance')
    finally:
        await conn.close()


def _buffers(node: dict) -> int:
    return node.get("Shared Hit Blocks", 0) + node.get("Shared Read Blocks", 0)


@pytest.mark.parametrize("analyzed", [False, True], ids=["fresh tables", "analyzed"])
async def test_a_step_reads_as_much_of_a_large_run_as_of_a_small_one(
    pg_database, schema_prefix, analyzed
):
    db = Database(pg_database, schema=f"{schema_prefix}scheduler")
    await db.migrate(MIGRATIONS)
    try:
        small = await _run_midway(db, 30)
        large = await _run_midway(db, 3000)
        # The setup's bulk updates leave thousands of dead row versions at once, which a
        # real run leaves over minutes, with autovacuum clearing them as it goes.
        # Statistics only if asked: plans with them, and without (a new deployment).
        await _vacuum(pg_database, f"{schema_prefix}scheduler", analyze=analyzed)
        before, after = await _pages_read(db, small, 30), await _pages_read(db, large, 3000)
    finally:
        await db.dispose()
    grown = {
        name: (before[name], after[name]) for name in before if after[name] > 2 * before[name] + 16
    }
    assert grown == {}, f"pages read (30 tasks, 3,000 tasks): {grown}"
