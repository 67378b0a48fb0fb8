"""Server-sent events: the state changes of a DAG's runs or of one run, as they happen
(a Tradewind extension; the dashboard uses it). Each event carries the whole run or task
instance in its REST shape. The changes come from the process's one state-change poller
(state_changes.py), so a client costs a queue, not a query."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header
from fastapi.responses import StreamingResponse

from tradewind_api.context import AppContext, get_context
from tradewind_api.dag_runs import get_dag_run
from tradewind_api.dags import get_dag
from tradewind_api.state_changes import StateChange, Topic, WatchEnded, WatcherFellBehind
from tradewind_core.errors import TradewindError, Unavailable
from tradewind_core.logging import get_logger

TAG = "Event stream (Tradewind extension)"
TAG_METADATA = {
    "name": TAG,
    "description": "Not part of Airflow's stable API: live state changes of runs and task "
    "instances as server-sent events (`text/event-stream`).",
}
router = APIRouter(prefix="/api/v2/dags/{dag_id}", tags=[TAG])
log = get_logger(__name__)
Ctx = Annotated[AppContext, Depends(get_context)]
LastEventId = Annotated[
    str | None,
    Header(
        max_length=64,
        description="The `id` of the last event received: a reconnecting client gets what "
        "it missed (or, when this process no longer has it, the current state of everything).",
        examples=["3f9c1a2b-42"],
    ),
]
# How long a browser waits before reconnecting after the stream ends.
RECONNECT_MILLISECONDS = 2000

_EXAMPLE = (
    "retry: 2000\n\n"
    "id: 3f9c1a2b-1\nevent: task_instance\n"
    'data: {"task_id": "extract", "dag_run_id": "manual__2026-01-01", "state": "running", ...}\n\n'
    "id: 3f9c1a2b-2\nevent: dag_run\n"
    'data: {"dag_run_id": "manual__2026-01-01", "state": "success", ...}\n\n'
    ": heartbeat\n\n"
)
_DESCRIPTION = """A `text/event-stream` of state changes. The first events are the current
state of every {what}; then one event per change, as it is seen. Event types:

- `dag_run`: a run (the shape of `GET /dags/{{dag_id}}/dagRuns/{{dag_run_id}}`);
- `task_instance`: a task instance (the shape of `GET .../taskInstances/{{task_id}}`);
- `end`: {end};
- `error`: the client read too slowly and was dropped; reconnect with `Last-Event-ID`.

Each event has an `id`; send the last one back as `Last-Event-ID` on reconnect (browsers do
this themselves) to get what was missed. A comment line (`: heartbeat`) comes every
`TRADEWIND_API_SSE_HEARTBEAT_SECONDS` while nothing changes. A stream lasts at most
`TRADEWIND_API_STREAM_MAX_SECONDS`; the client then reconnects."""


def _responses(what: str, end: str) -> dict:
    return {
        200: {
            "description": _DESCRIPTION.format(what=what, end=end),
            "content": {"text/event-stream": {"schema": {"type": "string"}, "example": _EXAMPLE}},
        },
        404: {"description": "No such DAG or run"},
        503: {"description": "The scheduler is not reachable, or too many streams are open"},
    }


def _frame(topic: Topic, change: StateChange) -> str:
    data = change.item.model_dump_json()
    return f"id: {topic.event_id(change)}\nevent: {change.kind}\ndata: {data}\n\n"


async def _events(
    ctx: AppContext, dag_id: str, run_id: str | None, last_event_id: str | None
) -> AsyncIterator[str]:
    hub = ctx.state_changes
    assert hub is not None
    settings = ctx.settings
    deadline = time.monotonic() + settings.api_stream_max_seconds
    yield f"retry: {RECONNECT_MILLISECONDS}\n\n"
    try:
        async with hub.watch(dag_id, run_id, last_event_id=last_event_id) as (topic, changes):
            while (left := deadline - time.monotonic()) > 0:
                try:
                    change = await changes.next_change(
                        min(left, settings.api_sse_heartbeat_seconds)
                    )
                except WatchEnded:
                    if topic.error is not None:
                        raise topic.error from None  # deleted: said as an error event
                    if not hub.closed:  # stopping: the client reconnects elsewhere
                        yield "event: end\ndata: {}\n\n"
                    return
                yield ": heartbeat\n\n" if change is None else _frame(topic, change)
    except WatcherFellBehind:
        detail = "the client read too slowly and was dropped; reconnect with Last-Event-ID"
        yield f"event: error\ndata: {json.dumps({'detail': detail})}\n\n"
    except TradewindError as exc:
        yield f"event: error\ndata: {json.dumps({'detail': exc.detail})}\n\n"


def _stream(
    ctx: AppContext, dag_id: str, run_id: str | None, last_event_id: str | None
) -> StreamingResponse:
    hub = ctx.state_changes
    if hub is None or not hub.has_room(dag_id, run_id):
        raise Unavailable("too many runs and DAGs are watched right now; try again later")
    return StreamingResponse(
        _events(ctx, dag_id, run_id, last_event_id),
        media_type="text/event-stream",
        # Proxies must pass each event on at once, and keep none.
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/events",
    operation_id="get_dag_events",
    summary="Follow the state changes of a DAG's runs and their task instances (SSE)",
    response_class=StreamingResponse,
    responses=_responses(
        "recent run of the DAG (the newest 25) and their task instances",
        "not sent: the stream goes on while the DAG exists",
    ),
    openapi_extra={"x-tradewind-extension": True},
)
async def get_dag_events(dag_id: str, ctx: Ctx, last_event_id: LastEventId = None):
    async with ctx.db.reader() as session:
        await get_dag(session, dag_id)
    return _stream(ctx, dag_id, None, last_event_id)


@router.get(
    "/dagRuns/{dag_run_id}/events",
    operation_id="get_dag_run_events",
    summary="Follow the state changes of a DAG run and its task instances (SSE)",
    response_class=StreamingResponse,
    responses=_responses(
        "task instance of the run and of the run itself",
        "the run is final (its final state was the event before); close the stream",
    ),
    openapi_extra={"x-tradewind-extension": True},
)
async def get_dag_run_events(
    dag_id: str, dag_run_id: str, ctx: Ctx, last_event_id: LastEventId = None
):
    await get_dag_run(dag_id, dag_run_id, ctx)
    return _stream(ctx, dag_id, dag_run_id, last_event_id)
