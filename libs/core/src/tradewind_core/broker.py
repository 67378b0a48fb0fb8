"""The task broker: the dispatcher publishes one message per attempt to its worker queue,
workers consume. RabbitMQ in distributed mode; an in-process queue in standalone mode.

Delivery is at least once. A message is acknowledged only after its result is recorded,
and a redelivered message is harmless because the worker must claim the attempt first.
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


Handler = Callable[[Delivery], Awaitable[None]]


class Broker(ABC):
    @abstractmethod
    async def connect(self) -> None: ...

    @abstractmethod
    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        """Returns once the broker has taken responsibility for every message."""

    @abstractmethod
    async def consume(self, queues: Sequence[str], prefetch: int, handler: Handler) -> None:
        """Starts delivering; at most `prefetch` messages are unacknowledged at once."""

    @abstractmethod
    async def stop_consuming(self) -> None:
        """No new deliveries; those in hand can still be acknowledged."""

    @abstractmethod
    async def close(self) -> None: ...


def make_broker(url: str, namespace: str) -> Broker:
    if url.startswith("memory://"):
        return InMemoryBroker()
    return RabbitBroker(url, namespace)


class _RabbitDelivery(Delivery):
    def __init__(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        self._message = message
        self.body = message.body
        self.headers = {k: str(v) for k, v in (message.headers or {}).items()}
        self.redelivered = bool(message.redelivered)

    async def ack(self) -> None:
        await self._message.ack()

    async def requeue(self) -> None:
        await self._message.nack(requeue=True)


class RabbitBroker(Broker):
    """Durable direct exchange `<ns>.tasks`; one durable queue `<ns>.tasks.<queue>` per
    worker queue; persistent messages; publisher confirms."""

    def __init__(self, url: str, namespace: str) -> None:
        self._url = url
        self._ns = namespace
        self._connection: AbstractRobustConnection | None = None
        self._publish_channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._declared: set[str] = set()
        self._declare_lock = asyncio.Lock()
        self._consumers: list[tuple[aio_pika.abc.AbstractQueue, str]] = []

    def queue_name(self, queue: str) -> str:
        return f"{self._ns}.tasks.{queue}"

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
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=prefetch)
        for queue in queues:
            declared = await self._declare(channel, queue)

            async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                await handler(_RabbitDelivery(message))

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
    def __init__(self, broker: InMemoryBroker, message: OutgoingMessage, redelivered: bool):
        self._broker = broker
        self._message = message
        self.body = message.body
        self.headers = dict(message.headers)
        self.redelivered = redelivered

    async def ack(self) -> None:
        self._broker._slots.release()

    async def requeue(self) -> None:
        self._broker._slots.release()
        self._broker._queue(self._message.queue).put_nowait((self._message, True))


class InMemoryBroker(Broker):
    """Standalone mode: the dispatcher and the worker share this process and this queue."""

    def __init__(self) -> None:
        self._queues: dict[str, asyncio.Queue[tuple[OutgoingMessage, bool]]] = {}
        self._slots = asyncio.Semaphore(1)
        self._consumers: list[asyncio.Task[None]] = []
        self._handling: set[asyncio.Task[None]] = set()

    def _queue(self, name: str) -> asyncio.Queue[tuple[OutgoingMessage, bool]]:
        return self._queues.setdefault(name, asyncio.Queue())

    async def connect(self) -> None:
        return None

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        for m in messages:
            self._queue(m.queue).put_nowait((m, False))

    async def consume(self, queues: Sequence[str], prefetch: int, handler: Handler) -> None:
        self._slots = asyncio.Semaphore(prefetch)
        for name in queues:
            self._consumers.append(asyncio.create_task(self._pump(name, handler)))

    async def _pump(self, name: str, handler: Handler) -> None:
        queue = self._queue(name)
        while True:
            await self._slots.acquire()
            message, redelivered = await queue.get()
            task = asyncio.create_task(handler(_MemoryDelivery(self, message, redelivered)))
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
