"""The scheduler's own cost, measured in the scheduler: `python -m bench.scheduling`.

The real scheduling loop runs on PostgreSQL (a fresh schema) with its real queries and
transactions; the dispatcher and the workers are replaced by a driver that reports every
dispatched task as started and finished at once, in batches of up to 500 as the
dispatcher's outbox does. So the figures are the scheduler's alone:

1. cost per task, for one run of a 100-, 1,000- and 10,000-task DAG, fan-out (one root,
   the rest its downstream) and chain: the time spent in scheduling steps per task
   instance, and the SQL statements the scheduler sent per task instance (which no other
   load on the machine can change). Both must stay flat (within 10 %) as the DAG grows;
2. 100 concurrent runs of a 10-task DAG (a root, eight middle tasks, a join): wall time,
   and task-to-task p50 (a task's finish reported -> its downstream dispatched).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import time
from datetime import timedelta

import asyncpg
from sqlalchemy import event

from bench.stats import median, percentile
from tradewind_core.db import Database
from tradewind_core.spec import parse_dag_spec
from tradewind_core.timeutil import utcnow
from tradewind_scheduler import runs
from tradewind_scheduler.main import MIGRATIONS
from tradewind_scheduler.scheduling import SchedulingLoop, TaskEvent
from tradewind_scheduler.settings import SchedulerSettings

DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/tradewind"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SIZES = (100, 1_000, 10_000)
REPORT_BATCH = 500
FLAT_WITHIN = 0.10


def task(task_id: str, *upstream: str) -> dict:
    return {
        "task_id": task_id,
        "operator": "bash",
        "bash_command": "true",
        "upstream": list(upstream),
    }


def fan_out(n: int) -> dict:
    return {
        "dag_id": f"fan_{n}",
        "max_active_tasks": 2**31 - 1,
        "tasks": [task("root"), *(task(f"t{i}", "root") for i in range(n - 1))],
    }


def chain(n: int) -> dict:
    return {
        "dag_id": f"chain_{n}",
        "tasks": [task("t0"), *(task(f"t{i}", f"t{i - 1}") for i in range(1, n))],
    }


def diamond() -> dict:
    middle = [task(f"m{i}", "root") for i in range(8)]
    return {
        "dag_id": "diamond",
        "max_active_runs": 100,
        "max_active_tasks": 2**31 - 1,
        "tasks": [task("root"), *middle, task("join", *(m["task_id"] for m in middle))],
    }


class Catalog:
    def __init__(self) -> None:
        self.specs: dict = {}

    async def get(self, version: str):
        return self.specs[version]


class Driver:
    """Stands in for the dispatcher and its workers: every task it is given finishes at
    once, and is reported back the way the dispatcher's forwarder reports."""

    def __init__(self) -> None:
        self.loop: SchedulingLoop | None = None
        self.pending: list = []
        self.wake = asyncio.Event()
        self.finished = 0
        self.reported_at: dict[tuple[str, str], float] = {}  # (run, task) -> when
        self.dispatched_at: dict[tuple[str, str], float] = {}

    async def dispatch(self, tasks) -> int:
        self._take(tasks)
        return len(tasks)

    def _take(self, tasks) -> None:
        now = time.perf_counter()
        for t in tasks:
            self.dispatched_at[(t.dag_run_id, t.task_id)] = now
        self.pending.extend(tasks)
        self.wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        assert self.loop is not None
        while not stop.is_set():
            if not self.pending:
                self.wake.clear()
                with_timeout = asyncio.wait_for(self.wake.wait(), 0.2)
                try:
                    await with_timeout
                except TimeoutError:
                    continue
            batch, self.pending = self.pending[:REPORT_BATCH], self.pending[REPORT_BATCH:]
            now = utcnow()
            events = []
            for t in batch:
                for finished in (False, True):
                    events.append(
                        TaskEvent(
                            task_instance_id=t.task_instance_id,
                            try_number=t.try_number,
                            finished=finished,
                            state="success" if finished else "",
                            start_date=now - timedelta(milliseconds=1),
                            end_date=now if finished else None,
                            hostname="bench",
                            pid=1,
                        )
                    )
            reported = time.perf_counter()
            for t in batch:
                self.reported_at[(t.dag_run_id, t.task_id)] = reported
            ready = await self.loop.report(events)
            self.finished += len(batch)
            self._take(ready)


class StatementCount:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args) -> None:  # noqa: ANN002
        self.count += 1


async def _with_scheduler(body):
    prefix = f"bench{secrets.token_hex(3)}_"
    db = Database(DATABASE_URL, schema=f"{prefix}scheduler", pool_size=5)
    statements = StatementCount()
    event.listen(db.engine.sync_engine, "before_cursor_execute", statements)
    await _ensure_database()
    await db.migrate(MIGRATIONS)
    catalog, driver = Catalog(), Driver()
    settings = SchedulerSettings(scheduler_id="bench", scheduler_sweep_interval=5.0)
    loop = SchedulingLoop(db, catalog, driver, settings)  # type: ignore[arg-type]
    driver.loop = loop
    loop.statements = statements  # type: ignore[attr-defined]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(loop.run(stop)), asyncio.create_task(driver.run(stop))]
    try:
        return await body(db, catalog, driver, loop)
    finally:
        stop.set()
        loop.wake()
        await asyncio.gather(*tasks, return_exceptions=True)
        await db.dispose()
        conn = await asyncpg.connect(DATABASE_URL.replace("+asyncpg", ""))
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{prefix}scheduler" CASCADE')
        finally:
            await conn.close()


async def _ensure_database() -> None:
    conn = await asyncpg.connect(ADMIN_URL)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = 'tradewind'"):
            await conn.execute('CREATE DATABASE "tradewind"')
    finally:
        await conn.close()


async def _trigger(db, catalog, loop, spec_data, run_id: str):
    spec = parse_dag_spec(spec_data)
    version = f"v-{spec.dag_id}"
    catalog.specs[version] = spec
    async with db.transaction() as session:
        await runs.register_dag(
            session, dag_id=spec.dag_id, dag_version_id=version, is_paused=False
        )
        run = await runs.create_run(
            session,
            spec=spec,
            dag_version_id=version,
            run_id=run_id,
            logical_date=None,
            conf={},
            note=None,
            triggered_by="bench",
        )
    loop.run_created(run.id)


async def _until(driver: Driver, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while driver.finished < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {driver.finished} of {count} tasks finished in {timeout}s")
        await asyncio.sleep(0.01)


async def _warm_up(db, catalog, driver, loop) -> None:
    """A small run first, unmeasured: a new engine compiles each statement once and each
    new connection prepares it once, a cost no later step pays."""
    warm = {"dag_id": "warm", "tasks": [task("a"), *(task(f"b{i}", "a") for i in range(20))]}
    warm["tasks"].append(task("c", *(f"b{i}" for i in range(20))))
    await _trigger(db, catalog, loop, warm, "warm-1")
    await _trigger(db, catalog, loop, warm, "warm-2")
    await _until(driver, 44, timeout=60)
    await asyncio.sleep(0.3)  # let the sweep that started with the loop pass


async def cost_per_task(shape: str, n: int) -> tuple[float, float]:
    """Microseconds of scheduling steps, and SQL statements, per task instance, for one
    run of n tasks (the statements creating the run are not counted)."""

    async def body(db, catalog, driver, loop):
        await _warm_up(db, catalog, driver, loop)
        spec = fan_out(n) if shape == "fan-out" else chain(n)
        done = driver.finished
        await _trigger(db, catalog, loop, spec, "r")
        before, sent = loop.stats.seconds, loop.statements.count
        await _until(driver, done + n, timeout=max(120.0, n * 1.0))
        micros = (loop.stats.seconds - before) / n * 1e6
        return micros, (loop.statements.count - sent) / n

    return await _with_scheduler(body)

    return await _with_scheduler(body)


async def concurrent_runs(count: int = 100) -> tuple[float, float]:
    """Wall seconds for `count` runs of the 10-task diamond, and task-to-task p50 (ms)."""

    async def body(db, catalog, driver, loop):
        await _warm_up(db, catalog, driver, loop)
        spec = diamond()
        started = time.perf_counter()
        for i in range(count):
            await _trigger(db, catalog, loop, spec, f"r{i}")
        await _until(driver, 44 + count * 10, timeout=300)
        wall = time.perf_counter() - started
        gaps = []
        parsed = parse_dag_spec(spec)
        for i in range(count):
            run = f"r{i}"
            for t in parsed.tasks:
                if t.upstream:
                    last = max(driver.reported_at[(run, u)] for u in t.upstream)
                    gaps.append((driver.dispatched_at[(run, t.task_id)] - last) * 1000)
        return wall, percentile(gaps, 50)

    return await _with_scheduler(body)


async def main_async(
    repeats: int, sizes: tuple[int, ...] = SIZES, shapes=("fan-out", "chain")
) -> int:
    print("Scheduling cost per task instance (medians of the repeats):")
    failed = False
    for shape in shapes:
        micros, statements = {}, {}
        for n in sizes:
            samples = [await cost_per_task(shape, n) for _ in range(repeats)]
            micros[n] = median([m for m, _ in samples])
            statements[n] = median([s for _, s in samples])
            print(
                f"  {shape:8} {n:>6} tasks: {micros[n]:8.0f} µs/task in steps, "
                f"{statements[n]:6.2f} SQL statements/task",
                flush=True,
            )
        # Flat means no growth: the largest DAG may cost less per task than the smallest
        # (bigger batches share each step's fixed cost), never more than 10 % above it.
        for what, figures in (("statements", statements), ("µs", micros)):
            growth = figures[sizes[-1]] / figures[sizes[0]] - 1
            verdict = "flat" if growth <= FLAT_WITHIN else "GROWS"
            print(
                f"  {shape:8} {what}/task at {sizes[-1]:,} vs {sizes[0]:,} tasks: "
                f"{growth:+.1%} ({verdict}; limit +10 %)"
            )
            failed |= what == "statements" and growth > FLAT_WITHIN
    walls, p50s = [], []
    for _ in range(repeats):
        wall, p50 = await concurrent_runs()
        walls.append(wall)
        p50s.append(p50)
    print(
        f"100 concurrent runs of a 10-task DAG: wall {median(walls):.2f} s, "
        f"task-to-task p50 {median(p50s):.1f} ms (medians of {repeats})"
    )
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scheduling")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument(
        "--shapes", nargs="+", choices=("fan-out", "chain"), default=["fan-out", "chain"]
    )
    args = parser.parse_args(argv)
    return asyncio.run(main_async(args.repeats, tuple(args.sizes), tuple(args.shapes)))


if __name__ == "__main__":
    sys.exit(main())
