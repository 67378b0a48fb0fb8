"""The fan-out of state changes to watchers, without servers: a watcher that never reads
is dropped at its bound instead of growing, and a reconnect gets exactly what it missed
(or everything, when its last event id is not known here)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tradewind_api.schemas import DAGRunResponse
from tradewind_api.state_changes import Subscription, Topic, WatchEnded, WatcherFellBehind


def run(run_id: str, state: str) -> DAGRunResponse:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return DAGRunResponse(
        dag_run_id=run_id,
        dag_id="d",
        logical_date=None,
        queued_at=now,
        start_date=None,
        end_date=None,
        duration=None,
        run_after=now,
        run_type="manual",
        state=state,
        triggered_by="rest_api",
        conf={},
        note=None,
        dag_versions=[],
        dag_display_name="d",
    )


async def test_a_watcher_that_never_reads_is_dropped_at_its_bound():
    topic = Topic("d", None)
    reader, idle = Subscription(limit=10), Subscription(limit=10)
    topic.subscribers |= {reader, idle}
    for n in range(25):
        topic.publish("dag_run", run(f"r{n}", "queued"))
        assert (await reader.next_change(0)).item.dag_run_id == f"r{n}"
    assert idle.lagged and not idle._pending  # dropped, holding nothing
    with pytest.raises(WatcherFellBehind):
        await idle.next_change(0)


async def test_an_unchanged_item_is_not_sent_again_and_the_end_is_told():
    topic = Topic("d", "r")
    watcher = Subscription(limit=10)
    topic.subscribers.add(watcher)
    topic.publish("dag_run", run("r", "queued"))
    topic.publish("dag_run", run("r", "queued"))
    topic.publish("dag_run", run("r", "running"))
    topic.end()
    states = [(await watcher.next_change(0)).item.state for _ in range(2)]
    assert states == ["queued", "running"]
    with pytest.raises(WatchEnded):
        await watcher.next_change(0)


def test_a_reconnect_gets_what_it_missed_or_everything():
    topic = Topic("d", None)
    for n, state in enumerate(["queued", "running", "success"]):
        topic.publish("dag_run", run("r1", state))
        topic.publish("dag_run", run(f"other{n}", "queued"))
    second = topic.event_id(topic.history[1])
    missed = topic.since(second)
    assert [c.sequence for c in missed] == [3, 4, 5, 6]
    assert topic.since(topic.event_id(topic.history[-1])) == []
    # Unknown epoch, a future number, garbage, or nothing: the current state of each item.
    for last in ("beef-2", f"{topic.epoch}-99", "x", None):
        current = topic.since(last)
        assert {c.item.dag_run_id: c.item.state for c in current} == {
            "r1": "success",
            "other0": "queued",
            "other1": "queued",
            "other2": "queued",
        }
