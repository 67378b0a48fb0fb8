"""Calls from many workers written in one transaction: what arrives while a batch is
being written waits for it, then goes together in the next one. An idle dispatcher writes
a lone call at once, so batching adds no delay; a busy one pays one commit for many calls
instead of one each.

Failure rules: a batch is bounded (MAX_ITEMS); each item gets its own answer (a domain
error for one item, such as a refused claim, is that item's answer, not the batch's);
and when writing the batch fails as a whole, every item is written again alone, so one
bad item fails only itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from tradewind_core.errors import Unavailable
from tradewind_core.logging import get_logger

log = get_logger(__name__)
T = TypeVar("T")
R = TypeVar("R")
MAX_ITEMS = 200

# Writes a batch in one transaction: one result or domain error per item, in order.
WriteBatch = Callable[[Sequence[T]], Awaitable[list["R | Exception"]]]


class Coalescer(Generic[T, R]):
    def __init__(self, name: str, write: WriteBatch, *, max_items: int = MAX_ITEMS) -> None:
        self._name = name
        self._write = write
        self._max = max_items
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        # An answer nobody waits for any more (the caller gave up) is not an error.
        future.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._pending.append((item, future))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_pending())
        # Shielded: a caller that gives up (its RPC was cancelled) must not cancel the
        # write its neighbours wait on; the write itself is repeatable.
        return await asyncio.shield(future)

    async def _write_pending(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[: self._max], self._pending[self._max :]
                try:
                    results = await self._write_each_alone_if_needed([item for item, _ in batch])
                except BaseException:  # cancelled (shutting down): no caller waits forever
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(Unavailable(f"{self._name}: shutting down"))
                    raise
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._writer = None
            if self._pending:  # arrived while the last batch was being answered
                self._writer = asyncio.create_task(self._write_pending())

    async def _write_each_alone_if_needed(self, items: list[T]) -> list[R | Exception]:
        try:
            return await self._write(items)
        except Exception as exc:
            if len(items) == 1:
                return [exc]
            log.warning(
                "a batch failed; writing its items one by one",
                batch=self._name,
                items=len(items),
                error=repr(exc),
            )
        results: list[R | Exception] = []
        for item in items:
            try:
                results.extend(await self._write([item]))
            except Exception as exc:
                results.append(exc)
        return results
