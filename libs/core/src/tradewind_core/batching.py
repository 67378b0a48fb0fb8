"""Batches bounded by count and by bytes: no gRPC call grows past its message limit
however large its items, and one oversized item travels alone (and fails alone)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

MAX_BATCH_COUNT = 500
# Well below gRPC's message limit (64 MiB here), so a whole batch is never refused.
MAX_BATCH_BYTES = 4 * 1024 * 1024


def bounded_batches(
    items: Iterable[T],
    *,
    size: Callable[[T], int],
    max_count: int = MAX_BATCH_COUNT,
    max_bytes: int = MAX_BATCH_BYTES,
) -> Iterator[list[T]]:
    batch: list[T] = []
    total = 0
    for item in items:
        n = size(item)
        if batch and (len(batch) >= max_count or total + n > max_bytes):
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += n
    if batch:
        yield batch


def first_batch(
    items: list[T],
    *,
    size: Callable[[T], int],
    max_count: int = MAX_BATCH_COUNT,
    max_bytes: int = MAX_BATCH_BYTES,
) -> tuple[list[T], list[T]]:
    """The leading batch of `items`, and the rest."""
    for batch in bounded_batches(items, size=size, max_count=max_count, max_bytes=max_bytes):
        return batch, items[len(batch) :]
    return [], []
