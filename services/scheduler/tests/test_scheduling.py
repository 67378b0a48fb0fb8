"""The scheduler's storage and decisions on real PostgreSQL.

The api's catalog and the dispatcher are stood in for by two small in-test classes (a fixed
set of specs, a list of dispatched tasks); the end-to-end tests run the real ones."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import pytest

from tradewind_core.db import Database
from tradewind_core.errors import AlreadyExists
from tradewind_core.spec import DagSpec, parse_dag_spec
from tradewind_core.timeutil import utcnow
from tradewind_scheduler import runs
from tradewind_scheduler.main import MIGRATIONS
from tradewind_scheduler.scheduling import SchedulingLoop, TaskEvent
from tradewind_scheduler.settings import SchedulerSettings

pytestmark = pytest.mark.postgres


class SpecsByVersion:
    def __init__(self) -> None:
        self.specs: dict[str, DagSpec] = {}

    async def get(self, version_id: str) -> DagSpec:
        return self.specs[version_id]


class DispatchRecorder:
    def __init__(self) -> None:
        self.sent: list = []
        self.changed = asyncio.Condition()

    async def dispatch(self, tasks) -> int:
        async with self.changed:
            self.sent.extend(tasks)
            self.changed.notify_all()
        return len(tasks)

    async def wait_for(self, count: int, timeout: float = 5.0) -> list:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: len(self.sent) >= count), timeout)
        return self.sent


def bash(task_id, *upstream, **extra):
    return {
        "task_id": task_id,
        "operator": "bash",
        "bash_command": "true",
        "upstream": list(upstream),
        **extra,
    }


@pytest.fixture
async def env(pg_database, schema_prefix):
    db = Database(pg_database, schema=f"{schema_prefix}scheduler")
    await db.migrate(MIGRATIONS)
    catalog, dispatcher = SpecsByVersion(), DispatchRecorder()
    settings = SchedulerSettings(scheduler_sweep_interval=0.2, scheduler_id="test")
    loop = SchedulingLoop(db, catalog, dispatcher, settings)  # type: ignore[arg-type]
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run(stop))
    yield db, catalog, dispatcher, loop
    stop.set()
    loop.wake()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
    await db.dispose()


async def trigger(env, spec_data, run_id="r1", paused=False, logical_date=None):
    db, catalog, _, loop = env
    spec = parse_dag_spec(spec_data)
    version = f"v-{spec.dag_id}"
    catalog.specs[version] = spec
    async with db.transaction() as session:
        await runs.register_dag(
            session, dag_id=spec.dag_id, dag_version_id=version, is_paused=paused
        )
        run = await runs.create_run(
            session,
            spec=spec,
            dag_version_id=version,
            run_id=run_id,
            logical_date=logical_date,
            conf={},
            note=None,
            triggered_by="test",
        )
    loop.run_created(run.id)
    return run


async def finish(env, dispatched, state="success"):
    now = utcnow()
    # As the dispatcher does: the tasks the events released come back in the answer.
    ready = await env[3].report(
        [
            TaskEvent(
                task_instance_id=d.task_instance_id,
                try_number=d.try_number,
                finished=True,
                state=state,
                start_date=now - timedelta(milliseconds=5),
                end_date=now,
            )
            for d in dispatched
        ]
    )
    await env[2].dispatch(ready)


async def states(env, dag_id, run_id="r1"):
    async with env[0].reader() as session:
        run, tis = await runs.list_task_instances(session, dag_id, run_id)
    return run.state, {ti.task_id: (ti.state, ti.try_number) for ti in tis}


async def test_a_repeated_run_id_is_refused(env):
    await trigger(env, {"dag_id": "dup", "tasks": [bash("a")]})
    with pytest.raises(AlreadyExists, match="'r1'"):
        await trigger(env, {"dag_id": "dup", "tasks": [bash("a")]})


async def test_chain_and_fan_in_dispatch_each_task_once_in_order(env):
    _, _, dispatcher, _ = env
    await trigger(
        env,
        {
            "dag_id": "fan",
            "tasks": [bash("a"), bash("b", "a"), bash("c", "a"), bash("d", "b", "c")],
        },
    )
    [a] = await dispatcher.wait_for(1)
    assert a.task_id == "a" and a.try_number == 1 and a.dag_run_id == "r1"
    await finish(env, [a])
    sent = await dispatcher.wait_for(3)
    b, c = sorted(sent[1:3], key=lambda d: d.task_id)
    assert (b.task_id, c.task_id) == ("b", "c")
    # The fan-in's two upstream tasks finish in separate, concurrent reports.
    await asyncio.gather(finish(env, [b]), finish(env, [c]))
    sent = await dispatcher.wait_for(4)
    assert [d.task_id for d in sent] == ["a", "b", "c", "d"] or [d.task_id for d in sent] == [
        "a",
        "c",
        "b",
        "d",
    ]
    await finish(env, [sent[3]])
    await asyncio.sleep(0.3)
    assert len(dispatcher.sent) == 4
    run_state, tis = await states(env, "fan")
    assert run_state == "success" and all(s == ("success", 1) for s in tis.values())


async def test_a_failure_fails_downstream_and_the_run(env):
    _, _, dispatcher, _ = env
    await trigger(
        env,
        {
            "dag_id": "boom",
            "tasks": [
                bash("a"),
                bash("b", "a"),
                bash("c", "b"),
                bash("cleanup", "a", trigger_rule="all_done"),
            ],
        },
    )
    [a] = await dispatcher.wait_for(1)
    await finish(env, [a], state="failed")
    [_, cleanup] = await dispatcher.wait_for(2)
    assert cleanup.task_id == "cleanup"
    await finish(env, [cleanup])
    await asyncio.sleep(0.3)
    run_state, tis = await states(env, "boom")
    assert tis == {
        "a": ("failed", 1),
        "b": ("upstream_failed", 0),
        "c": ("upstream_failed", 0),
        "cleanup": ("success", 1),
    }
    assert run_state == "failed"  # a leaf (c) is upstream_failed


async def test_a_failed_try_is_retried_after_its_delay(env):
    _, _, dispatcher, _ = env
    await trigger(env, {"dag_id": "retry", "tasks": [bash("a", retries=1, retry_delay=0.3)]})
    [first] = await dispatcher.wait_for(1)
    await finish(env, [first], state="failed")
    assert (await states(env, "retry"))[1]["a"] == ("up_for_retry", 1)
    [_, second] = await dispatcher.wait_for(2)
    assert second.try_number == 2
    await finish(env, [second], state="failed")
    await asyncio.sleep(0.3)
    assert await states(env, "retry") == ("failed", {"a": ("failed", 2)})


async def test_duplicate_and_stale_events_change_nothing(env):
    _, _, dispatcher, _ = env
    await trigger(env, {"dag_id": "dupev", "tasks": [bash("a"), bash("b", "a")]})
    [a] = await dispatcher.wait_for(1)
    await finish(env, [a])
    await finish(env, [a], state="failed")  # a late, contradictory copy
    await dispatcher.wait_for(2)
    assert (await states(env, "dupev"))[1]["a"] == ("success", 1)


async def test_a_paused_dags_run_waits_until_unpaused(env):
    db, _, dispatcher, loop = env
    await trigger(env, {"dag_id": "sleepy", "tasks": [bash("a")]}, paused=True)
    await asyncio.sleep(0.5)
    assert dispatcher.sent == [] and (await states(env, "sleepy"))[0] == "queued"
    async with db.transaction() as session:
        await runs.register_dag(
            session, dag_id="sleepy", dag_version_id="v-sleepy", is_paused=False
        )
    loop.dag_changed("sleepy")
    [a] = await dispatcher.wait_for(1)
    assert a.task_id == "a"


async def test_max_active_runs_holds_later_runs_back(env):
    _, _, dispatcher, _ = env
    spec = {"dag_id": "one_at_a_time", "max_active_runs": 1, "tasks": [bash("a")]}
    await trigger(env, spec, run_id="first")
    await trigger(env, spec, run_id="second")
    [first] = await dispatcher.wait_for(1)
    await asyncio.sleep(0.4)
    assert len(dispatcher.sent) == 1 and first.dag_run_id == "first"
    await finish(env, [first])
    [_, second] = await dispatcher.wait_for(2)
    assert second.dag_run_id == "second"


async def test_templates_get_airflows_context(env):
    _, _, dispatcher, _ = env
    await trigger(
        env,
        {
            "dag_id": "ctx",
            "params": {"limit": {"type": "integer", "default": 5}},
            "tasks": [bash("a")],
        },
    )
    [a] = await dispatcher.wait_for(1)
    import json

    context = json.loads(a.context_json)
    assert context["params"] == {"limit": 5} and context["run_id"] == "r1"
    assert context["ti"]["try_number"] == 1 and len(context["ds"]) == 10


async def test_pausing_a_dag_holds_its_running_run(env):
    db, _, dispatcher, loop = env
    await trigger(env, {"dag_id": "hold", "tasks": [bash("a"), bash("b", "a")]})
    [a] = await dispatcher.wait_for(1)
    async with db.transaction() as session:
        await runs.register_dag(session, dag_id="hold", dag_version_id="v-hold", is_paused=True)
    await finish(env, [a])  # the running task finishes, but nothing new is queued
    await asyncio.sleep(0.5)
    assert len(dispatcher.sent) == 1
    # b is ready (scheduled, Airflow's meaning) but gets no slot while the DAG is paused.
    assert await states(env, "hold") == ("running", {"a": ("success", 1), "b": ("scheduled", 0)})
    async with db.transaction() as session:
        await runs.register_dag(session, dag_id="hold", dag_version_id="v-hold", is_paused=False)
    loop.dag_changed("hold")
    [_, b] = await dispatcher.wait_for(2)
    assert b.task_id == "b"


async def test_a_stream_of_events_does_not_starve_the_sweep(env):
    """The sweep (and the heartbeat it writes) keeps its period under constant events."""
    from sqlalchemy import select

    from tradewind_scheduler.models import SchedulerJob

    db, _, _, loop = env

    async def heartbeat():
        async with db.reader() as session:
            return await session.scalar(select(SchedulerJob.latest_heartbeat))

    await asyncio.sleep(0.3)
    before = await heartbeat()
    for _ in range(20):  # an event every 50 ms, more often than the 200 ms sweep period
        loop.dag_changed("nobody")
        await asyncio.sleep(0.05)
    assert await heartbeat() > before


async def test_a_run_past_its_dagrun_timeout_fails_and_its_dag_hears_of_it(env):
    _, _, dispatcher, loop = env
    heard: list[set[str]] = []
    loop.run_finished_listeners.append(lambda dags: heard.append(set(dags)))
    spec = {"dag_id": "slow", "dagrun_timeout": 0.5, "max_active_runs": 1, "tasks": [bash("a")]}
    await trigger(env, spec, run_id="r1")
    await trigger(env, spec, run_id="r2")
    [first] = await dispatcher.wait_for(1)
    assert first.dag_run_id == "r1"  # and it never reports: the timeout ends the run
    [_, second] = await dispatcher.wait_for(2, timeout=10)
    assert second.dag_run_id == "r2"
    state, tis = await states(env, "slow", "r1")
    assert (state, tis["a"][0]) == ("failed", "skipped")
    # The schedule loop learns of it as of any run that ends: room under max_active_runs.
    assert any("slow" in dags for dags in heard)
