"""WorkflowService (tradewind.v1), the public gRPC API. Thin: each call validates its
message, calls the same code the REST routes call, and converts the answer; errors get
the REST API's messages with their gRPC status codes."""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import grpc
from fastapi import HTTPException
from pydantic import Field, TypeAdapter, ValidationError

from tradewind.v1 import workflow_pb2 as pb
from tradewind.v1 import workflow_pb2_grpc
from tradewind_api import dag_runs, dags
from tradewind_api import workflow_convert as convert
from tradewind_api.auth.access import HiddenDag, check_dag, principal_for_token
from tradewind_api.auth.principal import Principal
from tradewind_api.context import AppContext
from tradewind_api.event_logs import record_call
from tradewind_api.request_limits import MAX_NESTING, nesting_depth
from tradewind_api.schemas import DAGRunResponse, TriggerDAGRunPostBody
from tradewind_api.state_changes import StateChangeHub, WatchEnded, WatcherFellBehind
from tradewind_core.errors import (
    AlreadyExists,
    Conflict,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from tradewind_core.logging import get_logger
from tradewind_core.spec import DagSpecError, field_path
from tradewind_core.states import FINISHED_TI_STATES

log = get_logger(__name__)
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["WorkflowService"].full_name
_DOMAIN = {
    NotFound: grpc.StatusCode.NOT_FOUND,
    AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    Conflict: grpc.StatusCode.FAILED_PRECONDITION,
    Unavailable: grpc.StatusCode.UNAVAILABLE,
    Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
}
_HTTP = {
    404: grpc.StatusCode.NOT_FOUND,
    409: grpc.StatusCode.ALREADY_EXISTS,
    413: grpc.StatusCode.INVALID_ARGUMENT,
    422: grpc.StatusCode.INVALID_ARGUMENT,
    503: grpc.StatusCode.UNAVAILABLE,
}
_LIMIT = TypeAdapter(Annotated[int, Field(ge=1, le=1000)])
_OFFSET = TypeAdapter(Annotated[int, Field(ge=0)])
_TRY_NUMBER = TypeAdapter(Annotated[int, Field(ge=0, le=2**31 - 1)])
# How often a followed log is read again while its try writes nothing new.
LOG_POLL_SECONDS = 0.25


def _status(exc: Exception) -> tuple[grpc.StatusCode, str]:
    for kind, code in _DOMAIN.items():
        if isinstance(exc, kind):
            return code, exc.detail
    if isinstance(exc, DagSpecError):
        return grpc.StatusCode.INVALID_ARGUMENT, str(exc)
    if isinstance(exc, ValidationError):
        detail = "; ".join(f"{field_path(e['loc'])}: {e['msg']}" for e in exc.errors())
        return grpc.StatusCode.INVALID_ARGUMENT, detail
    if isinstance(exc, HTTPException) and exc.status_code in _HTTP:
        return _HTTP[exc.status_code], str(exc.detail)
    if isinstance(exc, WatcherFellBehind):
        return (
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            "the watcher fell too far behind and was dropped; watch again for the current state",
        )
    # A bug: the caller gets an id to quote, the log gets the details.
    correlation_id = str(uuid.uuid4())
    log.error("unhandled error", correlation_id=correlation_id, exc_info=exc)
    return (
        grpc.StatusCode.INTERNAL,
        f"an internal error occurred; quote correlation id {correlation_id} when reporting it",
    )


def public_errors(method: Callable[..., Any]) -> Callable[..., Any]:
    """Every failure of a call, unary or streaming, becomes one status with a message a
    person can act on."""
    if inspect.isasyncgenfunction(method):

        @functools.wraps(method)
        async def stream(self: Any, request: Any, context: grpc.aio.ServicerContext):
            try:
                async for reply in method(self, request, context):
                    yield reply
                return
            except grpc.aio.AbortError:
                raise
            except Exception as exc:  # noqa: BLE001  mapped, and logged if a bug
                code, detail = _status(exc)
            await context.abort(code, detail)

        return stream

    @functools.wraps(method)
    async def unary(self: Any, request: Any, context: grpc.aio.ServicerContext):
        try:
            return await method(self, request, context)
        except grpc.aio.AbortError:
            raise
        except Exception as exc:  # noqa: BLE001
            code, detail = _status(exc)
        await context.abort(code, detail)

    return unary


def _required(request: Any, *names: str) -> None:
    for name in names:
        if not getattr(request, name):
            raise InvalidArgument(f"{name}: is required")


def _checked(adapter: TypeAdapter, name: str, value: int) -> int:
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        raise InvalidArgument(f"{name}: {exc.errors()[0]['msg']}") from None


def _trigger_body(request: pb.TriggerDagRunRequest) -> TriggerDAGRunPostBody:
    fields = {
        "dag_run_id": request.dag_run_id or None,
        "conf": convert.struct_field(request, "conf"),
        "note": request.note or None,
    }
    for name in ("logical_date", "data_interval_start", "data_interval_end", "run_after"):
        fields[name] = convert.timestamp_field(request, name)
    return TriggerDAGRunPostBody.model_validate(fields)


def _same_trigger(run: DAGRunResponse, body: TriggerDAGRunPostBody) -> bool:
    """Whether an existing run is what this trigger asks for (a retry of it)."""
    return (
        run.conf == body.conf
        and (body.logical_date is None or run.logical_date == body.logical_date)
        and (body.note is None or run.note == body.note)
    )


class WorkflowServicer(workflow_pb2_grpc.WorkflowServiceServicer):
    def __init__(self, ctx: AppContext, hub: StateChangeHub) -> None:
        self._ctx = ctx
        self._hub = hub
        self._log_streams = 0  # followed now, bounded like watched runs

    async def _may(self, context: grpc.aio.ServicerContext, dag_id: str, action: str) -> Principal:
        """The caller's access token or API token (metadata `authorization: Bearer …`),
        checked as REST checks it; a DAG the caller may not read is not found."""
        metadata = dict(context.invocation_metadata() or ())
        scheme, _, token = str(metadata.get("authorization", "")).partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated(
                "sign in first: send metadata `authorization: Bearer <token>` "
                "(a token from POST /auth/token, or an API token)"
            )
        principal = await principal_for_token(self._ctx, token.strip())
        try:
            await check_dag(self._ctx, principal, dag_id, action)
        except HiddenDag as exc:
            raise NotFound(str(exc)) from None
        return principal

    async def _record(
        self, context: grpc.aio.ServicerContext, event: str, principal: Principal, **where: str
    ) -> None:
        extra = {"via": "grpc", "method": event, "peer": context.peer()}
        await record_call(self._ctx, event, principal.username, extra=extra, **where)

    def _deadline(self) -> float:
        return time.monotonic() + self._ctx.settings.api_stream_max_seconds

    @public_errors
    async def CreateDag(self, request: pb.CreateDagRequest, context) -> pb.CreateDagResponse:
        _required(request, "spec")
        # REST's limits at the door (request_limits.py), with the same words.
        raw = request.spec.encode()
        cap = self._ctx.settings.api_max_body_bytes
        if len(raw) > cap:
            raise InvalidArgument(f"spec: larger than {cap} bytes (TRADEWIND_API_MAX_BODY_BYTES)")
        if (depth := nesting_depth(raw)) > MAX_NESTING:
            raise InvalidArgument(f"spec: nested {depth} levels deep; at most {MAX_NESTING}")
        yaml = request.format == pb.SPEC_FORMAT_YAML
        document = dags.parse_spec_document(
            request.spec, "application/yaml" if yaml else "application/json"
        )
        principal = await self._may(context, dags.refused_dag_id(document) or "", "edit")
        body, created = await dags.create_dag(self._ctx, document)
        if created:  # the same spec again stores nothing: no change to record
            await self._record(context, "post_dag", principal, dag_id=body.dag_id)
        return pb.CreateDagResponse(dag=convert.dag(body), created=created)

    @public_errors
    async def GetDag(self, request: pb.GetDagRequest, context) -> pb.GetDagResponse:
        _required(request, "dag_id")
        await self._may(context, request.dag_id, "read")
        return pb.GetDagResponse(
            dag=convert.dag(await dags.get_dag_route(request.dag_id, self._ctx))
        )

    @public_errors
    async def TriggerDagRun(
        self, request: pb.TriggerDagRunRequest, context
    ) -> pb.TriggerDagRunResponse:
        _required(request, "dag_id")
        principal = await self._may(context, request.dag_id, "trigger")
        body = _trigger_body(request)
        try:
            run, created = await dag_runs.trigger(
                self._ctx, request.dag_id, body, request.idempotency_key or None
            )
        except AlreadyExists:
            if body.dag_run_id is None:
                raise
            run = await dag_runs.get_dag_run(request.dag_id, body.dag_run_id, self._ctx)
            if not _same_trigger(run, body):
                raise
            created = False  # a retry: the run it made the first time
        if created:
            await self._record(
                context, "trigger_dag_run", principal, dag_id=run.dag_id, run_id=run.dag_run_id
            )
        return pb.TriggerDagRunResponse(dag_run=convert.dag_run(run), created=created)

    @public_errors
    async def GetDagRun(self, request: pb.GetDagRunRequest, context) -> pb.GetDagRunResponse:
        _required(request, "dag_id", "dag_run_id")
        await self._may(context, request.dag_id, "read")
        run = await dag_runs.get_dag_run(request.dag_id, request.dag_run_id, self._ctx)
        return pb.GetDagRunResponse(dag_run=convert.dag_run(run))

    @public_errors
    async def ListDagRuns(self, request: pb.ListDagRunsRequest, context) -> pb.ListDagRunsResponse:
        _required(request, "dag_id")
        await self._may(context, request.dag_id, "read")
        limit = _checked(_LIMIT, "limit", request.limit or 50)
        offset = _checked(_OFFSET, "offset", request.offset)
        page = await dag_runs.dag_runs_page(request.dag_id, self._ctx, limit=limit, offset=offset)
        return pb.ListDagRunsResponse(
            dag_runs=[convert.dag_run(r) for r in page.dag_runs], total_entries=page.total_entries
        )

    @public_errors
    async def ListTaskInstances(
        self, request: pb.ListTaskInstancesRequest, context
    ) -> pb.ListTaskInstancesResponse:
        _required(request, "dag_id", "dag_run_id")
        await self._may(context, request.dag_id, "read")
        page = await dag_runs.task_instances_of_run(request.dag_id, request.dag_run_id, self._ctx)
        return pb.ListTaskInstancesResponse(
            task_instances=[convert.task_instance(t) for t in page.task_instances],
            total_entries=page.total_entries,
        )

    @public_errors
    async def WatchDagRun(
        self, request: pb.WatchDagRunRequest, context
    ) -> AsyncIterator[pb.WatchDagRunResponse]:
        _required(request, "dag_id", "dag_run_id")
        await self._may(context, request.dag_id, "read")
        # The REST answer for an unknown DAG or run, before anything is watched.
        await dag_runs.get_dag_run(request.dag_id, request.dag_run_id, self._ctx)
        deadline = self._deadline()
        sent = 0
        async with self._hub.watch(request.dag_id, request.dag_run_id) as (topic, changes):
            while (left := deadline - time.monotonic()) > 0:
                try:
                    change = await changes.next_change(left)
                except WatchEnded:
                    if topic.error is not None:
                        raise topic.error from None  # the run was deleted
                    if self._hub.closed:
                        raise Unavailable("the api is stopping; watch again") from None
                    return  # the run is final
                if change is None:
                    continue
                sent += 1
                if change.kind == "dag_run":
                    yield pb.WatchDagRunResponse(
                        sequence=sent,
                        dag_run=convert.dag_run(change.item),  # type: ignore[arg-type]
                    )
                else:
                    yield pb.WatchDagRunResponse(
                        sequence=sent,
                        task_instance=convert.task_instance(change.item),  # type: ignore[arg-type]
                    )
        raise Unavailable(
            f"the stream reached its lifetime limit ({self._ctx.settings.api_stream_max_seconds:g}"
            " s, TRADEWIND_API_STREAM_MAX_SECONDS); watch again"
        )

    @public_errors
    async def StreamTaskLogs(
        self, request: pb.StreamTaskLogsRequest, context
    ) -> AsyncIterator[pb.StreamTaskLogsResponse]:
        _required(request, "dag_id", "dag_run_id", "task_id")
        await self._may(context, request.dag_id, "read")
        asked = _checked(_TRY_NUMBER, "try_number", request.try_number)
        if len(request.continuation_token) > 40:
            raise InvalidArgument("continuation_token: is not one this API gave")
        ti = await dag_runs.get_task_instance(
            request.dag_id, request.dag_run_id, request.task_id, self._ctx
        )
        limit = self._ctx.settings.api_max_watched
        if self._log_streams >= limit:
            raise Unavailable(
                f"{limit} task logs are followed already (TRADEWIND_API_MAX_WATCHED); "
                "try again later"
            )
        self._log_streams += 1
        try:
            async for reply in self._follow_log(request, ti, asked or max(ti.try_number, 1)):
                yield reply
        finally:
            self._log_streams -= 1

    async def _follow_log(
        self, request: pb.StreamTaskLogsRequest, ti, try_number: int
    ) -> AsyncIterator[pb.StreamTaskLogsResponse]:
        """Each stream reads the dispatcher's pages itself (a page as soon as there are
        lines); gRPC's flow control means the next page is read only once the last was
        sent, so a slow reader holds one page."""
        token = request.continuation_token
        deadline = self._deadline()
        while time.monotonic() < deadline:
            page = await self._ctx.dispatcher.read_task_log(ti.id, try_number, token)
            if not page.found:
                # Not dispatched yet: wait while this try may still start.
                ti = await dag_runs.get_task_instance(
                    request.dag_id, request.dag_run_id, request.task_id, self._ctx
                )
                finished = ti.state in FINISHED_TI_STATES
                if finished or not ti.try_number <= try_number <= ti.try_number + 1:
                    raise NotFound(
                        f"task {request.task_id!r} has no try {try_number} "
                        f"in DAG run {request.dag_run_id!r}"
                    )
                await _sleep_until(deadline, LOG_POLL_SECONDS)
                continue
            token = page.continuation_token
            if page.lines:
                yield pb.StreamTaskLogsResponse(
                    lines=[
                        pb.LogLine(timestamp=line.timestamp, level=line.level, event=line.event)
                        for line in page.lines
                    ],
                    continuation_token=token,
                    try_number=try_number,
                )
            if page.complete:
                return
            if not page.lines:
                await _sleep_until(deadline, LOG_POLL_SECONDS)
        raise Unavailable(
            f"the stream reached its lifetime limit ({self._ctx.settings.api_stream_max_seconds:g}"
            " s, TRADEWIND_API_STREAM_MAX_SECONDS); go on from the last continuation_token"
        )


async def _sleep_until(deadline: float, seconds: float) -> None:
    await asyncio.sleep(max(0.0, min(seconds, deadline - time.monotonic())))
