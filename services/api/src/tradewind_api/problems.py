"""The one place where errors become HTTP responses: RFC 9457 problem details
(application/problem+json), naming the field at fault where there is one."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tradewind_core.errors import AlreadyExists, Conflict, InvalidArgument, NotFound, Unavailable
from tradewind_core.spec import DagSpecError, field_path

_STATUS = {
    NotFound: (404, "Not Found"),
    AlreadyExists: (409, "Conflict"),
    Conflict: (409, "Conflict"),
    InvalidArgument: (422, "Unprocessable Content"),
    Unavailable: (503, "Service Unavailable"),
}


def problem(status: int, title: str, detail: str, errors: list[dict[str, Any]] | None = None):
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(
        jsonable_encoder(body), status_code=status, media_type="application/problem+json"
    )


def install_problem_handlers(app: FastAPI) -> None:
    for exc_type, (status, title) in _STATUS.items():

        async def handler(request: Request, exc: Exception, status=status, title=title):
            return problem(status, title, exc.detail)  # type: ignore[attr-defined]

        app.add_exception_handler(exc_type, handler)

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
        return problem(exc.status_code, _title(exc.status_code), str(exc.detail))


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
