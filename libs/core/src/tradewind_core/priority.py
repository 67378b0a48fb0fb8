"""Priority weights: what orders ready task instances competing for a pool's slots.

Airflow's weight rules: `downstream` (the default) adds the weights of every task that
depends on this one, directly or not, so the head of a long DAG goes first; `upstream`
adds those of every task this one depends on, so a run nearly done finishes first;
`absolute` uses the task's own weight. Each sum is clamped to what an int32 holds, as
Airflow clamps its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

INT32_MAX = 2**31 - 1
INT32_MIN = -(2**31)


class WeightRule(StrEnum):
    DOWNSTREAM = "downstream"
    UPSTREAM = "upstream"
    ABSOLUTE = "absolute"


def effective_weights(
    upstream: Mapping[str, Iterable[str]],
    weights: Mapping[str, int],
    rules: Mapping[str, WeightRule],
) -> dict[str, int]:
    """The priority weight each task's instances carry, from the task graph.

    `upstream` maps every task to the tasks it waits for (an acyclic graph). Ancestor and
    descendant sets are bit sets, so a 10,000-task chain costs milliseconds, not the
    quadratic walk of one set per task."""
    ids = list(upstream)
    index = {task_id: i for i, task_id in enumerate(ids)}
    ups = [[index[u] for u in upstream[t]] for t in ids]
    downs: list[list[int]] = [[] for _ in ids]
    for i, parents in enumerate(ups):
        for p in parents:
            downs[p].append(i)
    order = _topological(ups, downs)
    ancestors = [0] * len(ids)
    for i in order:
        for p in ups[i]:
            ancestors[i] |= ancestors[p] | (1 << p)
    descendants = [0] * len(ids)
    for i in reversed(order):
        for c in downs[i]:
            descendants[i] |= descendants[c] | (1 << c)
    # Sum the weights over a bit set per distinct weight value: few distinct values in
    # practice, so each sum is a handful of popcounts.
    by_value: dict[int, int] = {}
    for t, i in index.items():
        by_value[weights[t]] = by_value.get(weights[t], 0) | (1 << i)

    def total(bits: int) -> int:
        return sum(value * (bits & mask).bit_count() for value, mask in by_value.items())

    result: dict[str, int] = {}
    for t, i in index.items():
        own = weights[t]
        match rules[t]:
            case WeightRule.DOWNSTREAM:
                weight = own + total(descendants[i])
            case WeightRule.UPSTREAM:
                weight = own + total(ancestors[i])
            case _:
                weight = own
        result[t] = max(INT32_MIN, min(INT32_MAX, weight))
    return result


def _topological(ups: list[list[int]], downs: list[list[int]]) -> list[int]:
    waiting = [len(parents) for parents in ups]
    ready = [i for i, n in enumerate(waiting) if n == 0]
    order: list[int] = []
    while ready:
        i = ready.pop()
        order.append(i)
        for c in downs[i]:
            waiting[c] -= 1
            if waiting[c] == 0:
                ready.append(c)
    if len(order) != len(ups):
        raise ValueError("the task graph has a cycle")
    return order
