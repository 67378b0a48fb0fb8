"""The schedule loop and backfills on real PostgreSQL: due runs created once (even by two
schedulers), pausing, catchup, max_active_runs, a broken DAG set aside, backfill order.

The api's catalog is stood in for by a dict of specs (the REST tests run the real one)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from tradewind_core.db import Database
from tradewind_core.errors import Conflict, InvalidArgument, NotFound
from tradewind_core.spec import DagSpec, parse_dag_spec
from tradewind_core.timeutil import as_utc, utcnow
from tradewind_scheduler import backfills, runs
from tradewind_scheduler.backfills import BackfillRequest, ReprocessBehavior
from tradewind_scheduler.main import MIGRATIONS
from tradewind_scheduler.models import Dag, DagRun, TaskInstance
from tradewind_scheduler.schedules import ScheduleLoop
from tradewind_scheduler.settings import SchedulerSettings

pytestmark = pytest.mark.postgres


class Specs:
    def __init__(self) -> None:
        self.specs: dict[str, DagSpec] = {}

    async def get(self, version_id: str) -> DagSpec:
        if version_id not in self.specs:
            raise NotFound(f"DAG version {version_id} does not exist")
        return self.specs[version_id]


@pytest.fixture
async def env(pg_database, schema_prefix):
    db = Database(pg_database, schema=f"{schema_prefix}scheduler")
    await db.migrate(MIGRATIONS)
    specs = Specs()
    created: list[int] = []
    loop = ScheduleLoop(db, specs, SchedulerSettings(), run_created=created.append)  # type: ignore[arg-type]
    yield db, specs, loop, created
    await db.dispose()


async def register(env, data, *, paused=False, version=None) -> DagSpec:
    db, specs, loop, _ = env
    spec = parse_dag_spec(
        {"tasks": [{"task_id": "a", "operator": "bash", "bash_command": "true"}], **data}
    )
    version = version or f"v-{spec.dag_id}-{len(specs.specs)}"
    specs.specs[version] = spec
    async with db.transaction() as session:
        await runs.register_dag(
            session, dag_id=spec.dag_id, dag_version_id=version, is_paused=paused
        )
    loop.dag_changed(spec.dag_id)
    return spec


async def scheduled_runs(db, dag_id) -> list[DagRun]:
    async with db.reader() as session:
        found = await session.scalars(
            select(DagRun).where(DagRun.dag_id == dag_id).order_by(DagRun.logical_date)
        )
        return list(found)


async def dag_row(db, dag_id) -> Dag:
    async with db.reader() as session:
        return await session.get(Dag, dag_id)


def seconds_ago(n: float) -> str:
    return (utcnow() - timedelta(seconds=n)).replace(microsecond=0).isoformat()


async def test_two_schedulers_create_each_due_run_once(env, pg_database, schema_prefix):
    db, specs, first, created_first = env
    start = utcnow().replace(microsecond=0) - timedelta(seconds=120)
    await register(
        env,
        {
            "dag_id": "often",
            "schedule": 1,
            "start_date": start.isoformat(),
            "catchup": True,
            "max_active_runs": 1000,
        },
    )
    other_db = Database(pg_database, schema=f"{schema_prefix}scheduler")
    created_second: list[int] = []
    second = ScheduleLoop(other_db, specs, SchedulerSettings(), run_created=created_second.append)  # type: ignore[arg-type]
    try:
        for _ in range(12):  # 16 runs per DAG per pass: enough passes to catch up 120 s
            await asyncio.gather(first.run_once(), second.run_once())
    finally:
        await other_db.dispose()
    found = await scheduled_runs(db, "often")
    dates = [as_utc(r.logical_date) for r in found]
    assert len(dates) == len(set(dates)) >= 121
    assert dates[0] == start and all(
        b - a == timedelta(seconds=1) for a, b in zip(dates, dates[1:], strict=False)
    )
    assert sorted(created_first + created_second) == sorted(r.id for r in found)
    assert not set(created_first) & set(created_second)
    assert {r.run_type for r in found} == {"scheduled"}
    assert all(r.run_id == f"scheduled__{as_utc(r.logical_date).isoformat()}" for r in found)
    assert all(
        r.data_interval_start == r.data_interval_end == r.logical_date == r.run_after for r in found
    )
    row = await dag_row(db, "often")
    assert as_utc(row.next_dagrun) > dates[-1] and not row.next_dagrun_stale


async def test_paused_dags_get_no_runs_and_unpausing_without_catchup_runs_the_latest(env):
    db, specs, loop, created = env
    spec = await register(
        env,
        {"dag_id": "hourly", "schedule": "0 * * * *", "start_date": "2020-01-01"},
        paused=True,
    )
    await loop.run_once()
    assert await scheduled_runs(db, "hourly") == []
    row = await dag_row(db, "hourly")
    latest = utcnow().replace(minute=0, second=0, microsecond=0)
    assert as_utc(row.next_dagrun) == latest  # shown while paused, not created
    version = row.latest_version_id
    async with db.transaction() as session:
        await runs.register_dag(
            session, dag_id=spec.dag_id, dag_version_id=version, is_paused=False
        )
    loop.dag_changed(spec.dag_id)
    await loop.run_once()
    await loop.run_once()
    found = await scheduled_runs(db, "hourly")
    assert [as_utc(r.logical_date) for r in found] == [latest]
    row = await dag_row(db, "hourly")
    assert as_utc(row.next_dagrun_create_after) == latest + timedelta(hours=1)


async def test_catchup_waits_for_room_under_max_active_runs(env):
    db, _, loop, created = env
    await register(
        env,
        {
            "dag_id": "limited",
            "schedule": "@daily",
            "start_date": (utcnow() - timedelta(days=10)).date().isoformat(),
            "catchup": True,
            "max_active_runs": 2,
        },
    )
    await loop.run_once()
    await loop.run_once()
    found = await scheduled_runs(db, "limited")
    assert len(found) == 2 and "limited" in loop._full
    # Waiting for room is not work: the loop sleeps (no DAG is otherwise due) rather than spin.
    assert await loop._earliest_due() is None
    async with db.transaction() as session:
        await session.execute(
            update(DagRun).where(DagRun.id == found[0].id).values(state="success")
        )
    loop.runs_finished({"limited"})
    await loop.run_once()
    assert len(await scheduled_runs(db, "limited")) == 3


async def test_a_dag_whose_spec_cannot_be_fetched_is_set_aside_and_others_go_on(env):
    db, specs, loop, _ = env
    await register(env, {"dag_id": "fine", "schedule": 5, "start_date": seconds_ago(3)})
    async with db.transaction() as session:
        await runs.register_dag(session, dag_id="broken", dag_version_id="gone", is_paused=False)
    await loop.run_once()
    assert "broken" in loop._set_aside
    assert len(await scheduled_runs(db, "fine")) == 1
    # Later passes skip it until its backoff ends; the others are not held up.
    await loop.run_once()
    assert loop._set_aside["broken"].failures == 1


async def test_once_runs_once_and_continuous_follows_the_previous_run(env):
    db, _, loop, _ = env
    await register(env, {"dag_id": "one", "schedule": "@once"})
    await register(env, {"dag_id": "loop", "schedule": "@continuous", "max_active_runs": 1})
    for _ in range(3):
        await loop.run_once()
    assert len(await scheduled_runs(db, "one")) == 1
    [first] = await scheduled_runs(db, "loop")
    async with db.transaction() as session:
        await session.execute(update(DagRun).where(DagRun.id == first.id).values(state="success"))
    loop.runs_finished({"loop"})
    await loop.run_once()
    found = await scheduled_runs(db, "loop")
    assert len(found) == 2 and as_utc(found[1].data_interval_start) == as_utc(
        first.data_interval_end
    )


def backfill_request(dag_id, **extra):
    base = {
        "dag_id": dag_id,
        "from_date": datetime(2026, 1, 1, tzinfo=UTC),
        "to_date": datetime(2026, 1, 5, tzinfo=UTC),
        "run_backwards": False,
        "dag_run_conf": {"x": 1},
        "reprocess_behavior": ReprocessBehavior.NONE,
        "max_active_runs": 2,
    }
    return BackfillRequest(**{**base, **extra})


async def test_a_backfill_runs_within_its_own_limit_backwards_and_reprocesses(env):
    db, specs, loop, created = env
    spec = await register(
        env, {"dag_id": "bf", "schedule": "@daily", "max_active_runs": 1}, paused=True
    )
    version = (await dag_row(db, "bf")).latest_version_id
    # An existing failed run on Jan 3 is reprocessed with "failed"; a success on Jan 4 not.
    async with db.transaction() as session:
        for day, state in ((3, "failed"), (4, "success")):
            run = await runs.create_run(
                session,
                spec=spec,
                dag_version_id=version,
                run_id=f"m{day}",
                logical_date=datetime(2026, 1, day, tzinfo=UTC),
                conf={},
                note=None,
                triggered_by="test",
            )
            run.state = state
            await session.execute(
                update(TaskInstance)
                .where(TaskInstance.dag_run_pk == run.id)
                .values(state=state, try_number=1)
            )
    request = backfill_request(
        "bf", run_backwards=True, reprocess_behavior=ReprocessBehavior.FAILED
    )
    async with db.reader() as session:
        planned = await backfills.plan(session, spec, request, now=utcnow())
    assert [(w.day, r) for w, r in planned] == [
        (5, None),
        (4, "already exists"),
        (3, None),
        (2, None),
        (1, None),
    ]
    async with db.transaction() as session:
        backfill = await backfills.create_backfill(session, spec, version, request)
    with pytest.raises(Conflict):
        async with db.transaction() as session:
            await backfills.create_backfill(session, spec, version, request)
    await loop.run_once()
    found = {as_utc(r.logical_date).day: r for r in await scheduled_runs(db, "bf")}
    assert sorted(d for d, r in found.items() if r.run_type == "backfill") == [3, 5]
    assert found[5].run_id == "backfill__2026-01-05T00:00:00+00:00" and found[5].conf == {"x": 1}
    assert found[3].state == "queued" and found[3].run_id == "m3"  # cleared, to run again
    async with db.reader() as session:
        tis = list(
            await session.scalars(
                select(TaskInstance).where(TaskInstance.dag_run_pk == found[3].id)
            )
        )
    assert [(ti.state, ti.max_tries) for ti in tis] == [(None, 1)]
    # Two in flight: nothing more until one finishes.
    await loop.run_once()
    assert len([r for r in await scheduled_runs(db, "bf") if r.run_type == "backfill"]) == 2
    async with db.transaction() as session:
        await session.execute(
            update(DagRun).where(DagRun.id == found[5].id).values(state="success")
        )
    await loop.run_once()
    days = sorted(
        as_utc(r.logical_date).day
        for r in await scheduled_runs(db, "bf")
        if r.run_type == "backfill"
    )
    assert days == [2, 3, 5]
    async with db.transaction() as session:
        paused = await backfills.set_paused(session, backfill.id, True)
    assert paused.is_paused
    waiting = {r.id for r in await scheduled_runs(db, "bf") if r.state == "queued"}
    assert waiting  # runs created but not started yet
    async with db.transaction() as session:
        cancelled = await backfills.cancel(session, backfill.id)
    assert cancelled.completed_at is not None
    # As Airflow's cancel: runs still waiting to start fail; none is left queued.
    after = {r.id: r.state for r in await scheduled_runs(db, "bf")}
    assert {after[pk] for pk in waiting} == {"failed"}
    with pytest.raises(Conflict):
        async with db.transaction() as session:
            await backfills.set_paused(session, backfill.id, False)
    await loop.run_once()
    assert len(await scheduled_runs(db, "bf")) == 4  # Jan 1 never created


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ({"from_date": datetime(2026, 2, 1, tzinfo=UTC)}, "must not be after"),
        (
            {
                "from_date": datetime(2026, 1, 1, 1, tzinfo=UTC),
                "to_date": datetime(2026, 1, 1, 2, tzinfo=UTC),
            },
            "no runs",
        ),
        (
            {
                "from_date": datetime(2999, 1, 1, tzinfo=UTC),
                "to_date": datetime(2999, 1, 5, tzinfo=UTC),
            },
            "no runs",
        ),
    ],
)
async def test_bad_backfills_are_refused_and_store_nothing(env, extra, match):
    db, _, _, _ = env
    spec = await register(env, {"dag_id": "bad", "schedule": "@daily"})
    version = (await dag_row(db, "bad")).latest_version_id
    with pytest.raises(InvalidArgument, match=match):
        async with db.transaction() as session:
            await backfills.create_backfill(
                session, spec, version, backfill_request("bad", **extra)
            )
    async with db.reader() as session:
        assert (
            await backfills.list_backfills(session, "bad", limit=10, offset=0, descending=False)
        )[1] == 0


async def test_a_dag_without_a_schedule_cannot_be_backfilled(env):
    db, _, _, _ = env
    spec = await register(env, {"dag_id": "manual"})
    version = (await dag_row(db, "manual")).latest_version_id
    with pytest.raises(InvalidArgument, match="no periodic schedule"):
        async with db.transaction() as session:
            await backfills.create_backfill(session, spec, version, backfill_request("manual"))
