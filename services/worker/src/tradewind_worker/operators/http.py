"""HttpOperator: one HTTP request (httpx) from the worker itself, no process of its own.
A status outside `accepted_status_codes` (any 2xx by default) fails the try; the
response body, capped, becomes the `return_value` XCom: parsed JSON if it is JSON,
else text."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import grpc
import httpx

from tradewind_core.spec import HttpTask
from tradewind_worker.runner import OnOutput, Outcome, RunningTask
from tradewind_worker.templating import render, render_value

if TYPE_CHECKING:
    from tradewind_worker.operators import Attempt, TaskRuntime

STOP_POLL = 0.2


async def run_http(
    task: HttpTask,
    context: dict[str, Any],
    on_output: OnOutput,
    handle: RunningTask,
    *,
    runtime: TaskRuntime,
    attempt: Attempt,
) -> Outcome:
    try:
        url = render(task.url, context)
        headers = render_value(task.headers, context)
        data = render_value(task.data, context)
    except Exception as exc:  # any error a template raises, e.g. {{ 1/0 }}
        return Outcome("failed", -1, f"cannot render the task's templates: {exc}")
    timeout = task.timeout.total_seconds()
    if task.execution_timeout:
        timeout = min(timeout, task.execution_timeout.total_seconds())
    handle.started_in_worker()
    on_output(f"{task.method} {url}\n", "stdout")
    request = asyncio.create_task(
        asyncio.wait_for(
            _request(task.method, url, headers, data, timeout, runtime.http_response_max_bytes),
            timeout,  # httpx's timeout bounds each read; this bounds the whole exchange
        )
    )
    # A stop (cancel, lost lease, shutdown) must end the request too, not just a process.
    while not request.done():
        await asyncio.wait({request}, timeout=STOP_POLL)
        if handle.stopped_because and not request.done():
            request.cancel()
            return Outcome("failed", -1, handle.stopped_because)
    try:
        status, body, truncated = request.result()
    except (TimeoutError, httpx.TimeoutException):
        return Outcome("failed", -1, f"no response within {timeout:g}s")
    except httpx.HTTPError as exc:
        return Outcome("failed", -1, f"the request failed: {type(exc).__name__}: {exc}")
    on_output(f"HTTP {status}, {len(body)} bytes{' (truncated)' if truncated else ''}\n", "stdout")
    accepted = task.accepted_status_codes
    if (status not in accepted) if accepted else not 200 <= status < 300:
        on_output(body.decode(errors="replace")[:2000] + "\n", "stdout")
        return Outcome("failed", status, f"HTTP status {status} is not accepted")
    text = body.decode(errors="replace")
    try:
        value: Any = json.loads(text) if not truncated else text
    except ValueError:
        value = text
    if value not in (None, ""):
        try:
            await runtime.client.push_xcom(
                attempt.attempt_id, attempt.fencing_token, "return_value", json.dumps(value)
            )
        except grpc.aio.AioRpcError as exc:
            return Outcome("failed", status, f"cannot store the response as XCom: {exc.details()}")
    return Outcome("success", 0)


async def _request(
    method: str, url: str, headers: dict, data: Any, timeout: float, max_bytes: int
) -> tuple[int, bytes, bool]:
    body_args: dict[str, Any] = {}
    if isinstance(data, str):
        body_args["content"] = data.encode()
    elif data is not None:
        body_args["json"] = data
    async with (
        httpx.AsyncClient(timeout=timeout) as client,
        client.stream(method, url, headers=headers, **body_args) as response,
    ):
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > max_bytes:
                return response.status_code, bytes(body[:max_bytes]), True
        return response.status_code, bytes(body), False
