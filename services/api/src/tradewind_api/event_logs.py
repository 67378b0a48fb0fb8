"""The event log: every change made through the REST API, recorded as it is answered
(who, what, when, from where, and the DAG, run and task it touched), and listed at
`/api/v2/eventLogs` in Airflow 3's shapes. Nothing in the API alters or deletes it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import AwareDatetime, BaseModel
from sqlalchemy import func, or_, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradewind_api.auth.visibility import visible_dag_ids
from tradewind_api.context import AppContext, get_context
from tradewind_api.models import Dag, EventLog
from tradewind_api.ordering import order_by_clause
from tradewind_api.secrets import MASK, looks_secret
from tradewind_core.errors import NotFound
from tradewind_core.logging import get_logger
from tradewind_core.timeutil import as_utc, utcnow

router = APIRouter(prefix="/api/v2/eventLogs", tags=["Event Log"])
Ctx = Annotated[AppContext, Depends(get_context)]
log = get_logger(__name__)
# Who made a change, until people sign in.
ANONYMOUS = "anonymous"
_MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# Sign-ins are recorded by their routes, refused ones included (this records only successes).
_RECORDED_BY_ROUTE = {"create_token", "login"}
# Bodies kept in the record are cut at this size; an answer is read only up to it.
_MAX_KEPT = 16 * 1024
# Fields that are the secret itself in these operations' bodies.
_SECRET_BODY_FIELDS = {"password", "extra", "value"}
ORDERABLE = {
    "id": EventLog.id,
    "event_log_id": EventLog.id,
    "dttm": EventLog.dttm,
    "when": EventLog.dttm,
    "dag_id": EventLog.dag_id,
    "task_id": EventLog.task_id,
    "run_id": EventLog.run_id,
    "event": EventLog.event,
    "owner": EventLog.owner,
    "logical_date": EventLog.logical_date,
    "map_index": EventLog.map_index,
    "try_number": EventLog.try_number,
}


class EventLogResponse(BaseModel):
    event_log_id: int
    when: datetime
    dag_id: str | None = None
    task_id: str | None = None
    run_id: str | None = None
    map_index: int | None = None
    try_number: int | None = None
    event: str
    logical_date: datetime | None = None
    owner: str | None = None
    extra: str | None = None
    dag_display_name: str | None = None
    task_display_name: str | None = None


class EventLogCollectionResponse(BaseModel):
    event_logs: list[EventLogResponse]
    total_entries: int


def _response(row: EventLog, display_names: dict[str, str | None]) -> EventLogResponse:
    return EventLogResponse(
        event_log_id=row.id,
        when=as_utc(row.dttm),
        dag_id=row.dag_id,
        task_id=row.task_id,
        run_id=row.run_id,
        map_index=row.map_index,
        try_number=row.try_number,
        event=row.event,
        logical_date=as_utc(row.logical_date) if row.logical_date else None,
        owner=row.owner,
        extra=row.extra,
        dag_display_name=(display_names.get(row.dag_id) or row.dag_id) if row.dag_id else None,
        task_display_name=row.task_id,
    )


async def _display_names(session: Any, rows: list[EventLog]) -> dict[str, str | None]:
    ids = {r.dag_id for r in rows if r.dag_id}
    if not ids:
        return {}
    result = await session.execute(
        select(Dag.dag_id, Dag.dag_display_name).where(Dag.dag_id.in_(ids))
    )
    return {dag_id: name for dag_id, name in result.all()}


@router.get(
    "",
    operation_id="get_event_logs",
    summary="List the changes made through the API",
    response_model=EventLogCollectionResponse,
)
async def get_event_logs(
    request: Request,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=0, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    order_by: Annotated[
        list[str] | None, Query(description="Field names; a leading - reverses. Default: id.")
    ] = None,
    dag_id: str | None = None,
    task_id: str | None = None,
    run_id: str | None = None,
    map_index: Annotated[int | None, Query(ge=-1, le=2**31 - 1)] = None,
    try_number: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    owner: str | None = None,
    event: str | None = None,
    excluded_events: Annotated[list[str] | None, Query()] = None,
    included_events: Annotated[list[str] | None, Query()] = None,
    before: Annotated[AwareDatetime | None, Query(description="Recorded before this.")] = None,
    after: Annotated[AwareDatetime | None, Query(description="Recorded after this.")] = None,
    dag_id_pattern: Annotated[str | None, Query(max_length=250)] = None,
    task_id_pattern: Annotated[str | None, Query(max_length=250)] = None,
    run_id_pattern: Annotated[str | None, Query(max_length=250)] = None,
    owner_pattern: Annotated[str | None, Query(max_length=500)] = None,
    event_pattern: Annotated[str | None, Query(max_length=60)] = None,
) -> EventLogCollectionResponse:
    query = select(EventLog)
    if (visible := await visible_dag_ids(request, ctx)) is not None:
        # Records of DAGs the caller may not see are left out; the rest stay.
        query = query.where(or_(EventLog.dag_id.is_(None), EventLog.dag_id.in_(visible)))
    for column, value in (
        (EventLog.dag_id, dag_id),
        (EventLog.task_id, task_id),
        (EventLog.run_id, run_id),
        (EventLog.map_index, map_index),
        (EventLog.try_number, try_number),
        (EventLog.owner, owner),
        (EventLog.event, event),
    ):
        if value is not None:
            query = query.where(column == value)
    for column, pattern in (
        (EventLog.dag_id, dag_id_pattern),
        (EventLog.task_id, task_id_pattern),
        (EventLog.run_id, run_id_pattern),
        (EventLog.owner, owner_pattern),
        (EventLog.event, event_pattern),
    ):
        if pattern:
            query = query.where(column.like(f"%{pattern}%"))
    if excluded_events:
        query = query.where(EventLog.event.not_in(excluded_events))
    if included_events:
        query = query.where(EventLog.event.in_(included_events))
    if before is not None:
        query = query.where(EventLog.dttm < before)
    if after is not None:
        query = query.where(EventLog.dttm > after)
    order = order_by_clause(order_by or ["id"], ORDERABLE, EventLog.id)
    async with ctx.db.reader() as session:
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
        rows = list(await session.scalars(query.order_by(*order).limit(limit).offset(offset)))
        names = await _display_names(session, rows)
    return EventLogCollectionResponse(
        event_logs=[_response(r, names) for r in rows], total_entries=total or 0
    )


@router.get(
    "/{event_log_id}",
    operation_id="get_event_log",
    summary="Get one recorded change",
    response_model=EventLogResponse,
)
async def get_event_log(
    request: Request, event_log_id: Annotated[int, Path(ge=1, le=2**63 - 1)], ctx: Ctx
) -> EventLogResponse:
    visible = await visible_dag_ids(request, ctx)
    async with ctx.db.reader() as session:
        row = await session.get(EventLog, event_log_id)
        hidden = visible is not None and row is not None and row.dag_id not in (None, *visible)
        if row is None or hidden:
            raise NotFound(f"The Event Log with id: `{event_log_id}` not found")
        return _response(row, await _display_names(session, [row]))


# -- recording ------------------------------------------------------------------------


def _is_change(scope: Scope) -> bool:
    """A route that changes something: not the reads made with POST (batch lists) nor the
    dry runs."""
    route = scope.get("route")
    name = getattr(route, "operation_id", None) or getattr(route, "name", None)
    if not name or scope["method"] not in _MUTATING or name in _RECORDED_BY_ROUTE:
        return False
    return not (name.startswith("get_") or name.endswith("dry_run"))


def _masked_body(body: bytes, event: str) -> Any:
    if not body:
        return None
    if len(body) > _MAX_KEPT:
        return f"({len(body)} bytes, not kept)"
    try:
        parsed = json.loads(body)
    except ValueError:
        return "(not JSON)"
    secret_fields = _SECRET_BODY_FIELDS if ("variable" in event or "connection" in event) else set()
    return _mask(parsed, secret_fields)


def _mask(value: Any, secret_fields: set[str], key: str = "") -> Any:
    if key and (key in secret_fields or looks_secret(key)) and value not in (None, ""):
        return MASK
    if isinstance(value, dict):
        return {k: _mask(v, secret_fields, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, secret_fields) for v in value]
    return value


def _from_answer(answer: bytes) -> dict[str, Any]:
    """What the answer names that the path did not: a triggered run's id and date."""
    try:
        parsed = json.loads(answer) if len(answer) <= _MAX_KEPT else None
    except ValueError:
        return {}
    if not isinstance(parsed, dict):
        return {}
    return {k: parsed.get(k) for k in ("dag_id", "dag_run_id", "logical_date") if parsed.get(k)}


class EventRecorder:
    """ASGI middleware: records each successful change in the event log before its answer
    is finished, so a client that reads the log after the answer finds the change."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _MUTATING:
            await self.app(scope, receive, send)
            return
        request_body = bytearray()
        status: list[int] = []
        answer = bytearray()

        async def receive_and_keep() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(request_body) <= _MAX_KEPT:
                request_body.extend(message.get("body", b""))
            return message

        async def send_after_recording(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            elif message["type"] == "http.response.body":
                if len(answer) <= _MAX_KEPT:
                    answer.extend(message.get("body", b""))
                if not message.get("more_body", False) and status and status[0] < 400:
                    if _is_change(scope):
                        await _record(scope, bytes(request_body), bytes(answer), status[0])
            await send(message)

        await self.app(scope, receive_and_keep, send_after_recording)


async def _record(scope: Scope, body: bytes, answer: bytes, status: int) -> None:
    route = scope["route"]
    event = getattr(route, "operation_id", None) or route.name
    params = scope.get("path_params", {})
    found = _from_answer(answer)
    dag_id = params.get("dag_id") if params.get("dag_id") not in (None, "~") else None
    run_id = params.get("dag_run_id") if params.get("dag_run_id") not in (None, "~") else None
    if event == "trigger_dag_run":
        run_id = found.get("dag_run_id")
    if event == "post_dag":
        dag_id = found.get("dag_id")
    client = scope.get("client")
    extra = {
        "method": scope["method"],
        "path": scope["path"],
        "status_code": status,
        "host": client[0] if client else None,
        "body": _masked_body(body, event),
    }
    if scope.get("query_string"):
        extra["query"] = scope["query_string"].decode("latin-1")[:2000]
    logical_date = found.get("logical_date") if event == "trigger_dag_run" else None
    row = EventLog(
        dttm=utcnow(),
        event=event[:60],
        owner=(scope.get("state") or {}).get("user_name") or ANONYMOUS,
        dag_id=dag_id,
        run_id=run_id,
        task_id=params.get("task_id"),
        map_index=_int(params.get("map_index")),
        try_number=_int(params.get("try_number")),
        logical_date=datetime.fromisoformat(logical_date) if logical_date else None,
        extra=json.dumps(extra, default=str),
    )
    ctx: AppContext = scope["app"].state.context
    try:
        async with ctx.db.transaction() as session:
            session.add(row)
    except Exception:
        # The change is made and committed; a lost record must not turn it into an error.
        log.error("event log record failed", event=event, exc_info=True)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
