"""Batches bounded by count and by bytes."""

from __future__ import annotations

from tradewind_core.batching import bounded_batches, first_batch


def test_batches_are_bounded_by_count_and_bytes_and_an_oversized_item_goes_alone():
    sizes = [1, 1, 1, 8, 1, 20, 1, 1]
    batches = list(bounded_batches(sizes, size=lambda n: n, max_count=3, max_bytes=10))
    assert batches == [[1, 1, 1], [8, 1], [20], [1, 1]]
    assert [n for b in batches for n in b] == sizes


def test_first_batch_leaves_the_rest():
    assert first_batch([4, 4, 4], size=lambda n: n, max_bytes=9) == ([4, 4], [4])
    assert first_batch([], size=lambda n: n) == ([], [])
