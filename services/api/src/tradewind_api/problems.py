"""The one place where errors become HTTP responses: RFC 9457 problem details
(application/problem+json), naming the field at fault where there is one."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

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

log = get_logger(__name__)

_STATUS = {
    NotFound: (404, "Not Found"),
    AlreadyExists: (409, "Conflict"),
    Conflict: (409, "Conflict"),
    InvalidArgument: (422, "Unprocessable Content"),
    Unavailable: (503, "Service Unavailable"),
    Unauthenticated: (401, "Unauthorized"),
    PermissionDenied: (403, "Forbidden"),
}


# How long a client should wait before retrying while a dependency is down.
RETRY_AFTER_SECONDS = 5


def problem(
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
):
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(
        jsonable_encoder(body),
        status_code=status,
        media_type="application/problem+json",
        headers=headers,
    )


def install_problem_handlers(app: FastAPI) -> None:
    for exc_type, (status, title) in _STATUS.items():

        async def handler(request: Request, exc: Exception, status=status, title=title):
            # 503 only ever means "a dependency is down": say when to come back.
            headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else None
            if status == 401:
                headers = {"WWW-Authenticate": "Bearer"}
            return problem(status, title, exc.detail, headers=headers)  # type: ignore[attr-defined]

        app.add_exception_handler(exc_type, handler)

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception):
        # A bug: the person gets an id to quote, the log gets the details; nothing
        # internal (exception, SQL, paths) goes into the answer.
        correlation_id = str(uuid.uuid4())
        log.error(
            "unhandled error",
            correlation_id=correlation_id,
            method=request.method,
            path=request.url.path,
            exc_info=exc,
        )
        return problem(
            500,
            "Internal Server Error",
            f"an internal error occurred; quote correlation id {correlation_id} when reporting it",
            correlation_id=correlation_id,
        )

    @app.exception_handler(DagSpecError)
    async def invalid_spec(request: Request, exc: DagSpecError):
        errors = [
            {**e, "loc": ["body", *e["loc"]], "field": field_path(e["loc"])} for e in exc.errors
        ]
        return problem(422, "Invalid DAG spec", str(exc), errors)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        errors = [
            {
                "loc": list(e["loc"]),
                "msg": e["msg"],
                "type": e["type"],
                "field": field_path(e["loc"]),
            }
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['msg']}" for e in errors)
        return problem(422, "Invalid request", detail, errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        headers = exc.headers
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed_methods(request)}
        return problem(exc.status_code, _title(exc.status_code), str(exc.detail), headers=headers)


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette names only the first
    route's, and one path often has a route per method)."""
    allowed = [
        method
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.routes
        )
    ]
    return ", ".join(allowed)


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
