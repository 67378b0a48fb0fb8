"""An attempt's states and the one table of its legal moves.

queued: recorded, its message published (or about to be); no worker holds it.
running: claimed by one worker, which holds its fencing token and renews its lease.
success, failed, skipped: ended, by the worker's report or by the lease running out; a
queued attempt the scheduler stops (stopping.py) fails before any worker claims it.
"""

from __future__ import annotations

from tradewind_core.errors import Conflict

QUEUED, RUNNING = "queued", "running"
SUCCESS, FAILED, SKIPPED = "success", "failed", "skipped"
OUTCOMES = (SUCCESS, FAILED, SKIPPED)

_MOVES: dict[str, frozenset[str]] = {
    QUEUED: frozenset({RUNNING, FAILED}),
    RUNNING: frozenset(OUTCOMES),
    SUCCESS: frozenset(),
    FAILED: frozenset(),
    SKIPPED: frozenset(),
}


def can_move(current: str, target: str) -> bool:
    return target in _MOVES.get(current, frozenset())


def check_move(attempt_id: str, current: str, target: str) -> None:
    if not can_move(current, target):
        raise Conflict(f"attempt {attempt_id} is {current}; it cannot become {target}")
