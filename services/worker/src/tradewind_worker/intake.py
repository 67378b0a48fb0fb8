"""How task messages come in: only while a slot is free, so a worker does not sit on
messages it cannot start while other workers could (prefetch is the free slots).

A message is acknowledged once its attempt is claimed, so the broker's count of
unacknowledged messages no longer bounds how many tasks run: the intake does. When the
last slot is taken it stops consuming; when one frees it consumes again, with a prefetch
of the free slots (and again with a larger one once the free slots have doubled, so
claims are not serialized). A message that arrives while every slot is taken (the broker
had sent it before the consumer stopped) is held, unclaimed, for the next free slot, and
goes back to its queue if none frees within HOLD_LIMIT: another worker may have room.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Awaitable, Callable, Sequence

from tradewind_core.broker import Broker, Delivery
from tradewind_core.logging import get_logger

log = get_logger(__name__)
HOLD_LIMIT = 30.0


class Intake:
    def __init__(
        self,
        broker: Broker,
        queues: Sequence[str],
        slots: int,
        handle: Callable[[Delivery], Awaitable[None]],
    ) -> None:
        self._broker = broker
        self._queues = list(queues)
        self.slots = slots
        self.free = slots
        self._handle = handle
        self._prefetch = 0  # 0: not consuming
        self._closed = False
        self._lock = asyncio.Lock()
        self._reconciling: set[asyncio.Task[None]] = set()
        self._held: collections.deque[tuple[float, Delivery]] = collections.deque()
        self._releaser: asyncio.TimerHandle | None = None
        self.handling: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await self._reconcile()

    async def close(self) -> None:
        """Takes nothing more; what is running goes on, what is held goes back."""
        self._closed = True
        await self._reconcile()
        while self._held:
            await self._held.popleft()[1].requeue()

    async def _on_delivery(self, delivery: Delivery) -> None:
        if self._closed:
            await delivery.requeue()
            return
        if self.free <= 0:
            self._held.append((time.monotonic(), delivery))
            self._schedule_release()
            self._kick()
            return
        self._start(delivery)

    def _start(self, delivery: Delivery) -> None:
        self.free -= 1
        if self.free == 0:
            self._kick()
        task = asyncio.create_task(self._run(delivery))
        self.handling.add(task)
        task.add_done_callback(self.handling.discard)

    async def _run(self, delivery: Delivery) -> None:
        try:
            await self._handle(delivery)
        except Exception as exc:  # the handler settles its own failures; never lose a slot
            log.error("task message handling failed", error=repr(exc))
        finally:
            self.free += 1
            if self._held and not self._closed:
                self._start(self._held.popleft()[1])
            else:
                self._kick()

    def _schedule_release(self) -> None:
        if self._releaser is None:
            loop = asyncio.get_running_loop()
            self._releaser = loop.call_later(HOLD_LIMIT, self._release_stale)

    def _release_stale(self) -> None:
        self._releaser = None
        cutoff = time.monotonic() - HOLD_LIMIT
        while self._held and self._held[0][0] <= cutoff:
            delivery = self._held.popleft()[1]
            task = asyncio.create_task(delivery.requeue())
            self._reconciling.add(task)
            task.add_done_callback(self._reconciling.discard)
        if self._held:
            self._schedule_release()

    def _kick(self) -> None:
        task = asyncio.create_task(self._reconcile())
        self._reconciling.add(task)
        task.add_done_callback(self._reconciling.discard)

    def _wanted_prefetch(self) -> int:
        if self._closed or self.free <= 0 or self._held:
            return 0
        if self._prefetch and self.free < 2 * self._prefetch:
            return self._prefetch  # close enough: not worth a new consumer
        return self.free

    async def _reconcile(self) -> None:
        async with self._lock:
            while (want := self._wanted_prefetch()) != self._prefetch:
                try:
                    if self._prefetch:
                        await self._broker.stop_consuming()
                        self._prefetch = 0
                    if want:
                        await self._broker.consume(self._queues, want, self._on_delivery)
                        self._prefetch = want
                except Exception as exc:
                    log.warning("cannot change task intake; retrying", error=repr(exc))
                    await asyncio.sleep(1.0)
