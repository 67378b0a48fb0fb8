"""Pools, limits, priority, the past, queued timeouts and poison isolation, on real
PostgreSQL with the real scheduling loop (the api's catalog and the dispatcher stood in
for as in test_scheduling)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.scheduler.tests.test_scheduling import (
    DispatchRecorder,
    SpecsByVersion,
    bash,
    finish,
    states,
    trigger,
)
from tradewind_core.db import Database
from tradewind_core.errors import Unavailable
from tradewind_core.timeutil import as_utc, utcnow
from tradewind_scheduler import pools
from tradewind_scheduler.main import MIGRATIONS
from tradewind_scheduler.models import AttemptStop, TaskInstance
from tradewind_scheduler.scheduling import SchedulingLoop
from tradewind_scheduler.settings import SchedulerSettings

pytestmark = pytest.mark.postgres


class FlakyCatalog(SpecsByVersion):
    """Versions listed in `broken` cannot be fetched, as when the api cannot find them."""

    def __init__(self) -> None:
        super().__init__()
        self.broken: set[str] = set()

    async def get(self, version_id: str):
        if version_id in self.broken:
            raise Unavailable(f"api catalog: version {version_id} cannot be read")
        return await super().get(version_id)


@pytest.fixture
async def make_env(pg_database, schema_prefix):
    started = []

    async def make(**settings):
        db = Database(pg_database, schema=f"{schema_prefix}scheduler")
        await db.migrate(MIGRATIONS)
        catalog, dispatcher = FlakyCatalog(), DispatchRecorder()
        options = {"scheduler_sweep_interval": 0.2, "scheduler_id": "test", **settings}
        loop = SchedulingLoop(db, catalog, dispatcher, SchedulerSettings(**options))  # type: ignore[arg-type]
        stop = asyncio.Event()
        task = asyncio.create_task(loop.run(stop))
        started.append((db, loop, stop, task))
        return db, catalog, dispatcher, loop

    yield make
    for db, loop, stop, task in started:
        stop.set()
        loop.wake()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 5)
        await db.dispose()


async def make_pool(env, name, slots):
    async with env[0].transaction() as session:
        await pools.create_pool(
            session, name=name, slots=slots, description=None, include_deferred=False
        )


async def settle(dispatcher, count, quiet=0.6):
    """Waits for `count` dispatches, then checks no more come within `quiet` seconds."""
    sent = list(await dispatcher.wait_for(count))
    await asyncio.sleep(quiet)
    assert len(dispatcher.sent) == count, [d.task_id for d in dispatcher.sent]
    return sent


async def test_a_pool_of_one_runs_one_task_at_a_time_highest_priority_first(make_env):
    env = await make_env()
    _, _, dispatcher, _ = env
    await make_pool(env, "single", 1)
    low = {"dag_id": "low", "tasks": [bash("x", pool="single", priority_weight=1)]}
    high = {
        "dag_id": "high",
        "tasks": [bash("y", pool="single", priority_weight=50, weight_rule="absolute")],
    }
    blocker = {"dag_id": "first", "tasks": [bash("z", pool="single")]}
    await trigger(env, blocker)
    [z] = await settle(dispatcher, 1, quiet=0.2)
    await trigger(env, low)
    await trigger(env, high)
    await asyncio.sleep(0.6)
    assert len(dispatcher.sent) == 1  # the pool's one slot is taken
    async with env[0].reader() as session:
        usage = await pools.get_pool(session, "single")
    assert (usage.queued, usage.scheduled, usage.open) == (1, 2, 0)
    await finish(env, [z])
    [_, y] = await settle(dispatcher, 2)
    assert y.dag_id == "high"  # across DAGs, the heavier task goes first
    await finish(env, [y])
    [_, _, x] = await settle(dispatcher, 3)
    assert x.dag_id == "low"


async def test_a_full_pool_never_blocks_another_pools_tasks(make_env):
    env = await make_env()
    dispatcher = env[2]
    await make_pool(env, "tiny", 1)
    spec = {
        "dag_id": "mixed",
        "tasks": [
            bash("t1", pool="tiny", priority_weight=9),
            bash("t2", pool="tiny", priority_weight=9),
            bash("d1"),
        ],
    }
    await trigger(env, spec)
    sent = await settle(dispatcher, 2)
    assert sorted(d.task_id for d in sent)[0] == "d1"


async def test_task_limits_per_dag_and_per_run(make_env):
    env = await make_env()
    dispatcher = env[2]
    spec = {
        "dag_id": "limited",
        "tasks": [
            bash("a", max_active_tis_per_dag=1),
            *[bash(f"b{i}") for i in range(3)],
        ],
    }
    await trigger(env, spec, run_id="r1")
    await trigger(env, spec, run_id="r2")
    sent = await settle(dispatcher, 7)  # 3 b's per run, and only one a across both runs
    assert sorted(d.task_id for d in sent).count("a") == 1
    a = next(d for d in sent if d.task_id == "a")
    await finish(env, [a])
    [*_, second_a] = await settle(dispatcher, 8)
    assert second_a.task_id == "a" and second_a.dag_run_id != a.dag_run_id

    per_run = {"dag_id": "per_run", "tasks": [bash("p", max_active_tis_per_dagrun=1)]}
    await trigger(env, per_run, run_id="q1")
    await trigger(env, per_run, run_id="q2")
    sent = await settle(dispatcher, 10)  # one per run: both runs' p go at once
    assert sorted(d.dag_run_id for d in sent[8:]) == ["q1", "q2"]


async def test_max_active_tasks_holds_across_runs(make_env):
    env = await make_env()
    dispatcher = env[2]
    spec = {"dag_id": "narrow", "max_active_tasks": 2, "tasks": [bash(f"t{i}") for i in range(4)]}
    await trigger(env, spec, run_id="r1")
    await trigger(env, spec, run_id="r2")
    sent = await settle(dispatcher, 2)
    await finish(env, sent[:1])
    await settle(dispatcher, 3)


async def test_depends_on_past_waits_for_the_previous_run(make_env):
    env = await make_env()
    dispatcher = env[2]
    spec = {"dag_id": "past", "tasks": [bash("a", depends_on_past=True)]}
    day = utcnow().replace(microsecond=0)
    await trigger(env, spec, run_id="d1", logical_date=day - timedelta(days=1))
    [first] = await settle(dispatcher, 1, quiet=0.2)
    await trigger(env, spec, run_id="d2", logical_date=day)
    await settle(dispatcher, 1)  # d2's a waits for d1's a
    assert (await states(env, "past", "d2"))[1]["a"] == (None, 0)
    await finish(env, [first])
    [_, second] = await settle(dispatcher, 2)
    assert second.dag_run_id == "d2"


async def test_a_task_queued_too_long_fails_with_the_reason(make_env):
    env = await make_env(scheduler_redispatch_after=0.2, task_queued_timeout=3.0)
    dispatcher = env[2]
    await trigger(env, {"dag_id": "lost", "tasks": [bash("a"), bash("b", "a")]})
    await dispatcher.wait_for(1)
    deadline = asyncio.get_running_loop().time() + 10
    while (await states(env, "lost"))[0] != "failed":
        assert asyncio.get_running_loop().time() < deadline, await states(env, "lost")
        await asyncio.sleep(0.1)
    assert (await states(env, "lost"))[1] == {"a": ("failed", 1), "b": ("upstream_failed", 0)}
    async with env[0].reader() as session:
        reason = await session.scalar(
            select(TaskInstance.failure_reason).where(TaskInstance.task_id == "a")
        )
    assert "task_queued_timeout" in reason
    async with env[0].reader() as session:
        stops = (await session.execute(select(AttemptStop.try_number, AttemptStop.reason))).all()
    # The dispatcher is told to end that try too, so a late claim cannot run it.
    assert [(n, "task_queued_timeout" in why) for n, why in stops] == [(1, True)]
    # Sent again while it waited (the dispatcher may have lost it), before failing.
    assert len([d for d in dispatcher.sent if d.task_id == "a"]) >= 2


async def test_a_run_whose_version_cannot_be_read_is_set_aside_and_others_go_on(make_env):
    from tradewind_scheduler import set_aside

    env = await make_env()
    db, catalog, dispatcher, _ = env
    catalog.broken.add("v-poisoned")
    await trigger(env, {"dag_id": "poisoned", "tasks": [bash("a")]})
    await trigger(env, {"dag_id": "healthy", "tasks": [bash("a")]})
    [sent] = await dispatcher.wait_for(1)
    assert sent.dag_id == "healthy"
    await finish(env, [sent])
    async with db.reader() as session:
        rows, total = await set_aside.listing(session, limit=10)
    assert total == 1 and rows[0].dag_id == "poisoned" and "cannot be read" in rows[0].reason
    assert (await states(env, "healthy"))[0] == "success"
    catalog.broken.clear()  # the api can serve it again: the backoff runs out, it goes on
    [_, again] = await dispatcher.wait_for(2, timeout=10)
    assert again.dag_id == "poisoned"
    async with db.reader() as session:
        assert (await set_aside.listing(session, limit=10))[1] == 0


async def test_a_retry_delay_past_the_calendar_never_stalls_scheduling(make_env):
    """The probe: a retry_delay of 10^12 s raised OverflowError in every step. The spec
    now refuses it; one that slips through is clamped, and the other runs go on."""
    env = await make_env()
    db, catalog, dispatcher, _ = env
    spec = {"dag_id": "forever", "tasks": [bash("a", retries=2, retry_exponential_backoff=True)]}
    run = await trigger(env, spec)
    broken = catalog.specs["v-forever"]
    broken.tasks[0].retry_delay = timedelta(seconds=10**12)  # past validation, as if stored
    broken.tasks[0].max_retry_delay = timedelta(seconds=10**12)
    [a] = await dispatcher.wait_for(1)
    await finish(env, [a], state="failed")
    await trigger(env, {"dag_id": "bystander", "tasks": [bash("b")]})
    [_, b] = await dispatcher.wait_for(2)
    await finish(env, [b])
    assert (await states(env, "bystander"))[0] == "success"
    async with db.reader() as session:
        ti = await session.scalar(select(TaskInstance).where(TaskInstance.dag_run_pk == run.id))
    assert ti.state == "up_for_retry"
    assert as_utc(ti.next_retry_at) - utcnow() <= timedelta(days=3651)


async def test_events_for_a_set_aside_run_wait_with_it_and_are_applied_later(make_env):
    env = await make_env()
    db, catalog, dispatcher, _ = env
    await trigger(env, {"dag_id": "later", "tasks": [bash("a"), bash("b", "a")]})
    [a] = await dispatcher.wait_for(1)
    catalog.broken.add("v-later")  # the api loses the version while a runs
    await finish(env, [a])  # answered at once: the event waits with the run
    assert (await states(env, "later"))[1]["a"] == ("queued", 1)
    catalog.broken.clear()
    [_, b] = await dispatcher.wait_for(2, timeout=10)
    assert b.task_id == "b"
    assert (await states(env, "later"))[1]["a"] == ("success", 1)


async def test_a_light_task_runs_while_heavier_work_keeps_arriving(make_env):
    """No starvation: each unit of priority_weight is worth a set time of waiting (here
    0.05 s), so a task ten units lighter runs once it has waited half a second longer
    than the heavier tasks arriving, however many keep arriving."""
    env = await make_env(scheduler_priority_weight_seconds=0.05)
    _, _, dispatcher, _ = env
    await make_pool(env, "single", 1)
    low = {"dag_id": "low", "tasks": [bash("x", pool="single", priority_weight=1)]}
    high = {
        "dag_id": "high",
        "max_active_runs": 100,
        "tasks": [bash("y", pool="single", priority_weight=11, weight_rule="absolute")],
    }
    await trigger(env, {"dag_id": "first", "tasks": [bash("z", pool="single")]})
    [running] = await settle(dispatcher, 1, quiet=0.1)
    await trigger(env, low)
    for i in range(40):
        await trigger(env, high, run_id=f"h{i}")  # heavier work keeps arriving
        await asyncio.sleep(0.1)
        await finish(env, [running])
        running = (await dispatcher.wait_for(i + 2, timeout=10))[-1]
        if running.dag_id == "low":
            break
    assert running.dag_id == "low", "the light task starved"
    async with env[0].reader() as session:
        waiting = await session.scalar(
            select(func.count()).where(
                TaskInstance.dag_id == "high", TaskInstance.state == "scheduled"
            )
        )
    assert waiting >= 1  # it went ahead of heavier tasks still waiting
