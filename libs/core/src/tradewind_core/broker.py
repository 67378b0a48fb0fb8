"""The task broker: the dispatcher publishes one message per attempt to its worker queue,
workers consume. RabbitMQ in distributed mode; an in-process queue in standalone mode.

Delivery is at least once. A worker acknowledges a message as soon as its claim of the
attempt succeeds: from then on the dispatcher's attempt row, not the message, holds the
work (a lost worker is found by its lapsed lease), so a task may run for longer than the
broker's consumer timeout. A redelivered message is harmless because the worker must
claim the attempt first. A message no worker can read goes to the dead-letter queue.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection


@dataclass(frozen=True)
class OutgoingMessage:
    queue: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    priority: int = 0


class Delivery(ABC):
    body: bytes
    headers: dict[str, str]
    redelivered: bool

    @abstractmethod
    async def ack(self) -> None: ...

    @abstractmethod
    async def requeue(self) -> None: ...

    @abstractmethod
    async def dead_letter(self, reason: str) -> None:
        """Sets the message aside in the dead-letter queue, with its reason."""


Handler = Callable[[Delivery], Awaitable[None]]


class Broker(ABC):
    @abstractmethod
    async def connect(self) -> None: ...

    @abstractmethod
    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        """Returns once the broker has taken responsibility for every message."""

    @abstractmethod
    async def consume(self, queues: Sequence[str], prefetch: int, handler: Handler) -> None:
        """Starts delivering; at most `prefetch` messages are unacknowledged at once.
        May be called again after stop_consuming, with a new prefetch."""

    @abstractmethod
    async def stop_consuming(self) -> None:
        """No new deliveries; those in hand can still be acknowledged."""

    @abstractmethod
    async def ready_count(self, queue: str) -> int | None:
        """How many messages wait in a worker queue (None: cannot tell)."""

    def check_connected(self) -> None:  # noqa: B027  the in-process broker is always there
        """Raises, saying why, when the broker cannot be reached now (readiness)."""

    @abstractmethod
    async def close(self) -> None: ...


def make_broker(url: str, namespace: str) -> Broker:
    if url.startswith("memory://"):
        return InMemoryBroker()
    return RabbitBroker(url, namespace)


class _RabbitDelivery(Delivery):
    def __init__(self, message: aio_pika.abc.AbstractIncomingMessage, broker: RabbitBroker):
        self._message = message
        self._broker = broker
        self.body = message.body
        self.headers = {k: str(v) for k, v in (message.headers or {}).items()}
        self.redelivered = bool(message.redelivered)

    async def ack(self) -> None:
        await self._message.ack()

    async def requeue(self) -> None:
        await self._message.nack(requeue=True)

    async def dead_letter(self, reason: str) -> None:
        await self._broker.publish_dead(self.body, self.headers, reason, self._message.routing_key)
        await self._message.ack()


class RabbitBroker(Broker):
    """Durable direct exchange `<ns>.tasks`; one durable queue `<ns>.tasks.<queue>` per
    worker queue; persistent messages; publisher confirms; the durable dead-letter queue
    `<ns>.tasks.dead`, where a worker puts what it cannot read, with the reason."""

    def __init__(self, url: str, namespace: str) -> None:
        self._url = url
        self._ns = namespace
        self._connection: AbstractRobustConnection | None = None
        self._publish_channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._declared: set[str] = set()
        self._declare_lock = asyncio.Lock()
        self._consumers: list[tuple[aio_pika.abc.AbstractQueue, str]] = []
        self._consume_channel: AbstractChannel | None = None
        self._consumed_queues: dict[str, aio_pika.abc.AbstractQueue] = {}

    def queue_name(self, queue: str) -> str:
        return f"{self._ns}.tasks.{queue}"

    def check_connected(self) -> None:
        connection = self._connection
        if connection is None or connection.is_closed or not connection.connected.is_set():
            raise ConnectionError("not connected to RabbitMQ (reconnecting)")

    @property
    def dead_letter_queue(self) -> str:
        return f"{self._ns}.tasks.dead"

    async def connect(self) -> None:
        self._connection = await aio_pika.connect_robust(self._url)
        self._publish_channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await self._publish_channel.declare_exchange(
            f"{self._ns}.tasks", aio_pika.ExchangeType.DIRECT, durable=True
        )

    async def _declare(self, channel: AbstractChannel, queue: str) -> aio_pika.abc.AbstractQueue:
        declared = await channel.declare_queue(
            self.queue_name(queue), durable=True, arguments={"x-max-priority": 10}
        )
        exchange = await channel.get_exchange(f"{self._ns}.tasks")
        await declared.bind(exchange, routing_key=queue)
        return declared

    async def ready_count(self, queue: str) -> int | None:
        assert self._publish_channel is not None, "connect() first"
        # Declaring again with the same arguments is a no-op that answers the count.
        declared = await self._declare(self._publish_channel, queue)
        self._declared.add(queue)
        return declared.declaration_result.message_count

    async def publish_dead(
        self, body: bytes, headers: dict[str, str], reason: str, routing_key: str
    ) -> None:
        assert self._publish_channel is not None, "connect() first"
        await self._publish_channel.declare_queue(self.dead_letter_queue, durable=True)
        await self._publish_channel.default_exchange.publish(
            aio_pika.Message(
                body,
                headers={**headers, "x-tradewind-reason": reason[:1000], "x-queue": routing_key},
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=self.dead_letter_queue,
        )

    async def _ensure_queue(self, queue: str) -> None:
        # A message routed to a queue that does not exist yet would be dropped; declare
        # each worker queue before the first publish to it.
        if queue in self._declared:
            return
        async with self._declare_lock:
            if queue not in self._declared:
                assert self._publish_channel is not None
                await self._declare(self._publish_channel, queue)
                self._declared.add(queue)

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        assert self._exchange is not None, "connect() first"
        for queue in {m.queue for m in messages}:
            await self._ensure_queue(queue)
        exchange = self._exchange
        await asyncio.gather(
            *(
                exchange.publish(
                    aio_pika.Message(
                        m.body,
                        headers=dict(m.headers),
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        priority=max(0, min(m.priority, 10)),
                        content_type="application/json",
                    ),
                    routing_key=m.queue,
                    mandatory=True,
                )
                for m in messages
            )
        )

    async def consume(self, queues: Sequence[str], prefetch: int, handler: Handler) -> None:
        assert self._connection is not None, "connect() first"
        if self._consume_channel is None:
            self._consume_channel = await self._connection.channel()
        channel = self._consume_channel
        # Per consumer, and read when a consumer starts: each resume sets it anew.
        await channel.set_qos(prefetch_count=prefetch)
        for queue in queues:
            declared = self._consumed_queues.get(queue)
            if declared is None:  # declared once per channel, not at every resume
                declared = self._consumed_queues[queue] = await self._declare(channel, queue)

            async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                await handler(_RabbitDelivery(message, self))

            tag = await declared.consume(on_message, no_ack=False)
            self._consumers.append((declared, tag))

    async def stop_consuming(self) -> None:
        for queue, tag in self._consumers:
            await queue.cancel(tag)
        self._consumers.clear()

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()


class _MemoryDelivery(Delivery):
    def __init__(
        self,
        broker: InMemoryBroker,
        message: OutgoingMessage,
        redelivered: bool,
        slots: asyncio.Semaphore,
    ):
        self._broker = broker
        self._message = message
        self._slots = slots
        self._settled = False
        self.body = message.body
        self.headers = dict(message.headers)
        self.redelivered = redelivered

    def _settle(self) -> None:
        if not self._settled:
            self._settled = True
            self._slots.release()

    async def ack(self) -> None:
        self._settle()

    async def requeue(self) -> None:
        self._settle()
        self._broker._queue(self._message.queue).put_nowait((self._message, True))

    async def dead_letter(self, reason: str) -> None:
        self._settle()
        self._broker.dead.append((self._message, reason))


class InMemoryBroker(Broker):
    """Standalone mode: the dispatcher and the worker share this process and this queue."""

    def __init__(self) -> None:
        self._queues: dict[str, asyncio.Queue[tuple[OutgoingMessage, bool]]] = {}
        self._consumers: list[asyncio.Task[None]] = []
        self._handling: set[asyncio.Task[None]] = set()
        self.dead: list[tuple[OutgoingMessage, str]] = []

    def _queue(self, name: str) -> asyncio.Queue[tuple[OutgoingMessage, bool]]:
        return self._queues.setdefault(name, asyncio.Queue())

    async def connect(self) -> None:
        return None

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        for m in messages:
            self._queue(m.queue).put_nowait((m, False))

    async def consume(self, queues: Sequence[str], prefetch: int, handler: Handler) -> None:
        slots = asyncio.Semaphore(prefetch)
        for name in queues:
            self._consumers.append(asyncio.create_task(self._pump(name, handler, slots)))

    async def ready_count(self, queue: str) -> int | None:
        return self._queue(queue).qsize()

    async def _pump(self, name: str, handler: Handler, slots: asyncio.Semaphore) -> None:
        queue = self._queue(name)
        while True:
            await slots.acquire()
            try:
                message, redelivered = await queue.get()
            except asyncio.CancelledError:
                slots.release()
                raise
            delivery = _MemoryDelivery(self, message, redelivered, slots)
            task = asyncio.create_task(handler(delivery))
            self._handling.add(task)  # the loop keeps only weak references to tasks
            task.add_done_callback(self._handling.discard)

    async def stop_consuming(self) -> None:
        for task in self._consumers:
            task.cancel()
        for task in self._consumers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._consumers.clear()

    async def close(self) -> None:
        await self.stop_consuming()
