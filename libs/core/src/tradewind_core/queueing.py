"""Which ready task instances of one pool take its open slots: pure decisions, no I/O.

The rule, for every pool on its own (a full pool never holds back another pool's tasks):

1. Candidates are taken in priority order, with aging so that none starves: each unit of
   `priority_weight` counts as `seconds_per_weight` (60 s by default) of waiting. A task's
   rank is the time it became ready less its weight times that, and the lowest rank goes
   first, then by id. Among tasks ready at once the heavier goes first; among equal
   weights, the one ready longest; and a task ready at time r with weight w is never
   passed by a task that becomes ready after r + (W - w) * seconds_per_weight, W being
   the heaviest weight that arrives: however much heavier work keeps arriving, its wait
   is bounded. Ranks do not change as time passes (the "now" of aging cancels out of
   every comparison), so the ready queue is an index in rank order, and the order is
   total, so two schedulers decide alike.
2. A candidate held back by a limit of its own (its DAG paused, `max_active_tasks`,
   `max_active_tis_per_dag`, `max_active_tis_per_dagrun`) is passed over: limits of one
   DAG never block another DAG's tasks.
3. A candidate that needs more slots than are open stops the pool's filling for this
   pass: the slots that free up go to it rather than to a stream of smaller tasks behind
   it, which would otherwise starve it. (One that needs more slots than the pool has at
   all could never run; it is passed over and reported.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

SECONDS_PER_WEIGHT = 60.0


def queue_rank(
    priority_weight: int, ready_at: datetime, seconds_per_weight: float = SECONDS_PER_WEIGHT
) -> float:
    """Seconds since the epoch: when the task became ready, moved earlier by its weight."""
    return ready_at.timestamp() - priority_weight * seconds_per_weight


@dataclass(frozen=True)
class Candidate:
    key: Hashable
    dag_id: str
    run_key: Hashable
    task_id: str
    pool_slots: int
    priority_weight: int
    ready_at: datetime
    # queue_rank(...) of the two above; given by the caller, as stored with the task.
    rank: float


def queue_order(candidate: Candidate) -> tuple[float, str]:
    return (candidate.rank, str(candidate.key))


@dataclass
class Limits:
    """What is queued or running now, and the ceilings; counts move as tasks are chosen."""

    dag_max: dict[str, int] = field(default_factory=dict)
    dag_active: Counter[str] = field(default_factory=Counter)
    paused: set[str] = field(default_factory=set)
    # (dag_id, task_id) -> ceiling; (dag_id, task_id) -> active count.
    task_max_per_dag: dict[tuple[str, str], int] = field(default_factory=dict)
    task_active_per_dag: Counter[tuple[str, str]] = field(default_factory=Counter)
    # (dag_id, task_id) -> ceiling; (run_key, task_id) -> active count.
    task_max_per_run: dict[tuple[str, str], int] = field(default_factory=dict)
    task_active_per_run: Counter[tuple[Hashable, str]] = field(default_factory=Counter)

    def allows(self, c: Candidate) -> bool:
        if c.dag_id in self.paused:
            return False
        if self.dag_active[c.dag_id] >= self.dag_max.get(c.dag_id, 2**31):
            return False
        per_dag = self.task_max_per_dag.get((c.dag_id, c.task_id))
        if per_dag is not None and self.task_active_per_dag[(c.dag_id, c.task_id)] >= per_dag:
            return False
        per_run = self.task_max_per_run.get((c.dag_id, c.task_id))
        return per_run is None or self.task_active_per_run[(c.run_key, c.task_id)] < per_run

    def take(self, c: Candidate) -> None:
        self.dag_active[c.dag_id] += 1
        self.task_active_per_dag[(c.dag_id, c.task_id)] += 1
        self.task_active_per_run[(c.run_key, c.task_id)] += 1


@dataclass
class PoolChoice:
    chosen: list[Candidate]
    never_fit: list[Candidate]
    # True when the pool filled up or a big task is waiting for slots: a later page of
    # candidates cannot be chosen now.
    stopped: bool


def choose_for_pool(
    candidates: Iterable[Candidate], *, open_slots: int, total_slots: int, limits: Limits
) -> PoolChoice:
    """Chooses in the order above; `limits` is updated for the choices made."""
    chosen: list[Candidate] = []
    never_fit: list[Candidate] = []
    for c in sorted(candidates, key=queue_order):
        if open_slots <= 0:
            return PoolChoice(chosen, never_fit, stopped=True)
        if c.pool_slots > total_slots:
            never_fit.append(c)
            continue
        if not limits.allows(c):
            continue
        if c.pool_slots > open_slots:
            return PoolChoice(chosen, never_fit, stopped=True)
        chosen.append(c)
        open_slots -= c.pool_slots
        limits.take(c)
    return PoolChoice(chosen, never_fit, stopped=open_slots <= 0)
