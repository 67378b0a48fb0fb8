"""Live state changes of DAG runs and task instances, for the clients that watch them
(gRPC WatchDagRun, the REST event stream).

The scheduler owns those states; the api reads them through the scheduler's read API.
One poller per api process reads each watched run (or DAG) once per interval, however
many clients watch it, and fans the changes out. Each change carries the whole item in
its REST shape, so a client that missed some changes is whole again with the latest one.

Bounds: a watcher that does not read keeps at most `queue_limit` changes, then is dropped
(it watches again and gets the current state); at most `max_topics` runs and DAGs are
watched at once; a topic nobody watches is kept `linger` seconds, so a client that
reconnects with its last event id gets what it missed, then forgotten."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal

from tradewind_api.context import AppContext
from tradewind_api.dag_runs import (
    dag_and_versions,
    run_and_task_instances,
    run_response,
    ti_response,
)
from tradewind_api.schemas import DAGRunResponse, TaskInstanceResponse
from tradewind_core.errors import NotFound, TradewindError, Unavailable
from tradewind_core.logging import get_logger
from tradewind_core.states import DagRunState

log = get_logger(__name__)
FINAL_RUN_STATES = frozenset({DagRunState.SUCCESS.value, DagRunState.FAILED.value})
# A DAG's event stream follows its newest runs only: the cost of a poll stays bounded
# however many runs the DAG has.
DAG_RUNS_FOLLOWED = 25
HISTORY = 1000
POLL_CONCURRENCY = 16


@dataclass(frozen=True)
class StateChange:
    # Counts the topic's changes; with the topic's epoch it is the event id a client
    # resumes from.
    sequence: int
    kind: Literal["dag_run", "task_instance"]
    item: DAGRunResponse | TaskInstanceResponse

    @property
    def key(self) -> str:
        item = self.item
        if isinstance(item, DAGRunResponse):
            return f"run:{item.dag_run_id}"
        return f"ti:{item.id}"


class WatcherFellBehind(Exception):
    """The watcher did not read its changes fast enough and was dropped."""


class WatchEnded(Exception):
    """There will be no more changes: the run is final, or it was deleted (the topic's
    `error` says so), or the process is stopping (the hub's `closed`)."""


class Subscription:
    """One client's pending changes. Writers never wait on it: past its limit it is
    dropped instead of growing."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._pending: deque[StateChange] = deque()
        self._wake = asyncio.Event()
        self.lagged = False
        self.ended = False

    def push(self, change: StateChange) -> None:
        if self.lagged or self.ended:
            return
        if len(self._pending) >= self._limit:
            self.lagged = True
            self._pending.clear()
        else:
            self._pending.append(change)
        self._wake.set()

    def end(self) -> None:
        self.ended = True
        self._wake.set()

    async def next_change(self, timeout: float) -> StateChange | None:
        """The next change, or None when none came within `timeout` seconds. Raises
        WatcherFellBehind or WatchEnded when no more will come."""
        while True:
            if self.lagged:
                raise WatcherFellBehind()
            if self._pending:
                return self._pending.popleft()
            if self.ended:
                raise WatchEnded()
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                return None


@dataclass
class Topic:
    """A watched run (run_id set) or every recent run of a DAG (run_id None)."""

    dag_id: str
    run_id: str | None
    epoch: str = field(default_factory=lambda: secrets.token_hex(4))
    sequence: int = 0
    current: dict[str, StateChange] = field(default_factory=dict)
    history: deque[StateChange] = field(default_factory=lambda: deque(maxlen=HISTORY))
    subscribers: set[Subscription] = field(default_factory=set)
    watchers: int = 0  # subscribers and those waiting for the first poll
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    error: TradewindError | None = None
    finished: bool = False
    idle_since: float | None = None
    runs_total: int = 0

    def event_id(self, change: StateChange) -> str:
        return f"{self.epoch}-{change.sequence}"

    def publish(self, kind: Literal["dag_run", "task_instance"], item) -> None:
        key = f"run:{item.dag_run_id}" if kind == "dag_run" else f"ti:{item.id}"
        known = self.current.get(key)
        if known is not None and known.item == item:
            return
        self.sequence += 1
        change = StateChange(self.sequence, kind, item)
        self.current[key] = change
        self.history.append(change)
        for subscriber in self.subscribers:
            subscriber.push(change)

    def since(self, last_event_id: str | None) -> list[StateChange]:
        """What a client that saw `last_event_id` missed; the current state of everything
        when that id is unknown here (another process, or too old)."""
        if last_event_id:
            epoch, _, number = last_event_id.rpartition("-")
            if epoch == self.epoch and number.isdigit() and int(number) <= self.sequence:
                seen = int(number)
                if seen == self.sequence:
                    return []
                if self.history and self.history[0].sequence <= seen + 1:
                    return [c for c in self.history if c.sequence > seen]
        return sorted(self.current.values(), key=lambda c: c.sequence)

    def end(self) -> None:
        self.finished = True
        for subscriber in self.subscribers:
            subscriber.end()


class StateChangeHub:
    def __init__(
        self,
        ctx: AppContext,
        *,
        interval: float,
        queue_limit: int,
        max_topics: int,
        linger: float = 30.0,
        first_poll_timeout: float = 10.0,
    ) -> None:
        self._ctx = ctx
        self._interval = interval
        self._queue_limit = queue_limit
        self._max_topics = max_topics
        self._linger = linger
        self._first_poll_timeout = first_poll_timeout
        self._topics: dict[tuple[str, str | None], Topic] = {}
        self._wake = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None
        self._limit = asyncio.Semaphore(POLL_CONCURRENCY)
        self.closed = False  # the process is stopping: streams end unfinished

    @property
    def watched(self) -> int:
        """Runs and DAGs being polled now (watched, or left lingering)."""
        return len(self._topics)

    @property
    def polling(self) -> bool:
        return self._poller is not None and not self._poller.done()

    @property
    def subscribers(self) -> int:
        return sum(len(t.subscribers) for t in self._topics.values())

    def has_room(self, dag_id: str, run_id: str | None = None) -> bool:
        """Whether watching this would stay within the bound on watched runs and DAGs."""
        return (dag_id, run_id) in self._topics or len(self._topics) < self._max_topics

    @contextlib.asynccontextmanager
    async def watch(
        self, dag_id: str, run_id: str | None = None, *, last_event_id: str | None = None
    ) -> AsyncIterator[tuple[Topic, Subscription]]:
        """Changes of one run (or of a DAG's recent runs): first what the client has not
        seen (everything, for a new client), then each change as it is found."""
        if self.closed:
            raise Unavailable("the api is stopping; watch again")
        topic = self._topic(dag_id, run_id)
        topic.watchers += 1
        subscription: Subscription | None = None
        try:
            if not topic.ready.is_set():
                self._wake.set()
                try:
                    await asyncio.wait_for(topic.ready.wait(), self._first_poll_timeout)
                except TimeoutError:
                    raise Unavailable("the scheduler is not reachable right now") from None
            if topic.error is not None:
                raise topic.error
            # No await from here until the subscription is in place: nothing is missed
            # between the catch-up and the live changes.
            missed = topic.since(last_event_id)
            subscription = Subscription(self._queue_limit + len(missed))
            for change in missed:
                subscription.push(change)
            topic.subscribers.add(subscription)
            if topic.finished:
                subscription.end()
            yield topic, subscription
        finally:
            topic.watchers -= 1
            if subscription is not None:
                topic.subscribers.discard(subscription)
            if topic.watchers == 0:
                topic.idle_since = time.monotonic()

    def _topic(self, dag_id: str, run_id: str | None) -> Topic:
        key = (dag_id, run_id)
        topic = self._topics.get(key)
        if topic is None or (topic.finished and topic.error is not None):
            if len(self._topics) >= self._max_topics:
                raise Unavailable(
                    f"{self._max_topics} runs and DAGs are watched already "
                    "(TRADEWIND_API_MAX_WATCHED); try again later"
                )
            topic = self._topics[key] = Topic(dag_id, run_id)
        topic.idle_since = None
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll_forever(), name="state-change poller")
        return topic

    async def close(self) -> None:
        self.closed = True
        for topic in self._topics.values():
            topic.end()
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller

    # -- the poller ---------------------------------------------------------------------

    async def _poll_forever(self) -> None:
        while self._topics:
            self._forget_idle()
            await asyncio.gather(*(self._poll(t) for t in list(self._topics.values())))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)

    def _forget_idle(self) -> None:
        now = time.monotonic()
        for key, topic in list(self._topics.items()):
            if topic.watchers == 0 and (
                topic.finished
                or (topic.idle_since is not None and now - topic.idle_since > self._linger)
            ):
                del self._topics[key]

    async def _poll(self, topic: Topic) -> None:
        if topic.finished:
            return
        async with self._limit:
            try:
                if topic.run_id is None:
                    await self._poll_dag(topic)
                else:
                    await self._poll_run(topic)
            except NotFound as exc:
                # Unknown at the first poll (the caller hears why), or deleted since.
                topic.error = exc
                topic.end()
            except Unavailable:
                pass  # said in health already; the next poll tries again
            except Exception:
                log.exception(
                    "reading watched states failed", dag_id=topic.dag_id, run_id=topic.run_id
                )
            finally:
                topic.ready.set()

    async def _poll_run(self, topic: Topic) -> None:
        assert topic.run_id is not None
        run, tis, dag, version = await run_and_task_instances(self._ctx, topic.dag_id, topic.run_id)
        # Task instances first: the run's final state is the last change of its stream.
        for ti in tis:
            topic.publish("task_instance", ti_response(ti, run, dag, version))
        topic.publish("dag_run", run_response(run, dag, version))
        if run.state in FINAL_RUN_STATES:
            topic.end()

    async def _poll_dag(self, topic: Topic) -> None:
        scheduler = self._ctx.scheduler
        # Runs come oldest first: read the newest page, from the count the last poll saw.
        offset = max(topic.runs_total - DAG_RUNS_FOLLOWED, 0)
        reply = await scheduler.list_runs(topic.dag_id, DAG_RUNS_FOLLOWED, offset)
        if reply.total_entries - offset > DAG_RUNS_FOLLOWED:
            offset = reply.total_entries - DAG_RUNS_FOLLOWED
            reply = await scheduler.list_runs(topic.dag_id, DAG_RUNS_FOLLOWED, offset)
        topic.runs_total = reply.total_entries
        dag, versions = await dag_and_versions(
            self._ctx, topic.dag_id, {r.dag_version_id for r in reply.dag_runs}
        )
        for run in reply.dag_runs:
            version = versions.get(run.dag_version_id)
            known = topic.current.get(f"run:{run.dag_run_id}")
            unchanged_final = (
                known is not None
                and run.state in FINAL_RUN_STATES
                and known.item.state == run.state  # type: ignore[union-attr]
            )
            if not unchanged_final:
                try:
                    tis = await scheduler.task_instances(topic.dag_id, run.dag_run_id)
                except NotFound:
                    continue  # deleted between the two reads
                for ti in tis:
                    topic.publish("task_instance", ti_response(ti, run, dag, version))
            topic.publish("dag_run", run_response(run, dag, version))
        # Runs that left the newest page are no longer followed (nor remembered).
        followed = {run.dag_run_id for run in reply.dag_runs}
        topic.current = {
            key: change
            for key, change in topic.current.items()
            if change.item.dag_run_id in followed
        }
