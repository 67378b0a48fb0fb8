"""A service's own small HTTP surface: liveness, readiness, Prometheus `/metrics`, and
read-only views of what the service owns.

Where each surface is served is decided in `surfaces.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel, Field
from starlette.types import ASGIApp

from tradewind_core.db import Database
from tradewind_core.grpc_server import check_health
from tradewind_core.logging import get_logger

log = get_logger(__name__)
# A probe that takes longer than this counts as failed: an orchestrator's probe has its
# own timeout, and an answer that comes too late helps nobody.
CHECK_TIMEOUT_S = 3.0
RETRY_AFTER_S = 5


@dataclass(frozen=True)
class ReadinessCheck:
    """One thing the service needs to do its job. `probe` raises (with a message saying
    what is wrong) when that thing is not there."""

    name: str
    probe: Callable[[], Awaitable[None]]


def database_check(db: Database) -> ReadinessCheck:
    async def probe() -> None:
        try:
            await db.ping()
        except Exception as exc:
            # The driver's own text can carry SQL and addresses: name only the failure.
            raise ConnectionError(
                f"cannot reach the database ({type(getattr(exc, 'orig', None) or exc).__name__})"
            ) from None

    return ReadinessCheck("database", probe)


def peer_check(name: str, address: str) -> ReadinessCheck:
    """A gRPC service this one calls, through its standard health service."""

    async def probe() -> None:
        if not await check_health(address):
            raise ConnectionError(f"cannot reach the {name} at {address}")

    return ReadinessCheck(name, probe)


class Liveness(BaseModel):
    service: str = Field(description="The service answering.", examples=["scheduler"])
    status: str = Field(description="Always `alive`: the process answers.", examples=["alive"])


class CheckResult(BaseModel):
    name: str = Field(description="What was checked.", examples=["database"])
    ok: bool = Field(description="Whether it is there.", examples=[True])
    detail: str | None = Field(
        default=None,
        description="Why not, when it is not.",
        examples=["cannot reach the dispatcher at 127.0.0.1:50053"],
    )


class Readiness(BaseModel):
    service: str = Field(description="The service answering.", examples=["scheduler"])
    status: str = Field(description="`ready` or `not ready`.", examples=["ready"])
    checks: list[CheckResult] = Field(description="Each thing the service needs, checked now.")


class NotReady(BaseModel):
    """RFC 9457 problem details, with the checks that failed."""

    type: str = Field(default="about:blank", examples=["about:blank"])
    title: str = Field(examples=["Service Unavailable"])
    status: int = Field(examples=[503])
    detail: str = Field(examples=["database: connection refused"])
    checks: list[CheckResult]


async def _run_check(check: ReadinessCheck) -> CheckResult:
    try:
        await asyncio.wait_for(check.probe(), CHECK_TIMEOUT_S)
    except TimeoutError:
        return CheckResult(
            name=check.name, ok=False, detail=f"no answer within {CHECK_TIMEOUT_S:g}s"
        )
    except Exception as exc:  # noqa: BLE001  any failure means not ready; say which
        return CheckResult(name=check.name, ok=False, detail=str(exc) or type(exc).__name__)
    return CheckResult(name=check.name, ok=True)


def create_service_app(
    *,
    service: str,
    description: str,
    checks: Sequence[ReadinessCheck],
    registry: CollectorRegistry,
    routers: Sequence[APIRouter] = (),
    before_metrics: Callable[[], Awaitable[None]] | None = None,
    version: str = "1",
) -> FastAPI:
    """`before_metrics` refreshes gauges that need I/O (a database count) just before a
    scrape, so they are as fresh as the scrape and cost nothing between scrapes."""
    app = FastAPI(
        title=f"Tradewind {service}",
        version=version,
        description=description,
        openapi_tags=[
            {"name": "Health", "description": "Liveness and readiness, for probes."},
            {"name": "Metrics", "description": "Prometheus metrics."},
            {"name": "Introspection", "description": f"What the {service} holds now."},
        ],
    )

    @app.get(
        "/health/live",
        tags=["Health"],
        operation_id="get_liveness",
        summary="Whether the process answers",
        description="Answers 200 as long as the process runs its event loop.",
        response_model=Liveness,
    )
    async def live() -> Liveness:
        return Liveness(service=service, status="alive")

    @app.get(
        "/health/ready",
        tags=["Health"],
        operation_id="get_readiness",
        summary="Whether the service can do its job now",
        description=(
            "Checks each thing the service needs (its database, broker, the services it "
            "calls). 503 with `Retry-After` and the failed checks when any is missing."
        ),
        response_model=Readiness,
        responses={
            503: {
                "model": NotReady,
                "description": "Something the service needs is missing.",
                "content": {"application/problem+json": {}},
            }
        },
    )
    async def ready() -> Any:
        results = list(await asyncio.gather(*(_run_check(c) for c in checks)))
        failed = [r for r in results if not r.ok]
        if not failed:
            return Readiness(service=service, status="ready", checks=results)
        problem = NotReady(
            title="Service Unavailable",
            status=503,
            detail="; ".join(f"{r.name}: {r.detail}" for r in failed),
            checks=results,
        )
        return JSONResponse(
            problem.model_dump(),
            status_code=503,
            media_type="application/problem+json",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )

    @app.get(
        "/metrics",
        tags=["Metrics"],
        operation_id="get_metrics",
        summary="Prometheus metrics",
        description="The service's metrics in Prometheus' text exposition format.",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
    )
    async def metrics() -> Response:
        if before_metrics is not None:
            try:
                await before_metrics()
            except Exception as exc:  # noqa: BLE001  a scrape still gets what is known
                log.warning("metrics refresh failed", service=service, error=str(exc))
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    for router in routers:
        app.include_router(router)
    return app


class EmbeddedServer(uvicorn.Server):
    """uvicorn inside a service's process: signals stay with the service. (uvicorn's own
    handlers would take SIGTERM from the service's stop signal and close the HTTP port
    first, so a draining worker could no longer say it is draining.)"""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class HttpServer:
    """uvicorn on a socket bound here, so a taken port is one clear error naming the
    setting (uvicorn would exit the process from inside its task). No SO_REUSEPORT: the
    port is ours alone."""

    def __init__(self, app: ASGIApp, host: str, port: int, *, setting: str) -> None:
        self._app, self._host, self._port, self._setting = app, host, port, setting
        self._server: EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self._host, self._port))
        except OSError:
            sock.close()
            raise OSError(
                f"cannot listen on {self._host}:{self._port}: the port is in use or not "
                f"ours; choose another with {self._setting}"
            ) from None
        sock.listen(128)
        sock.setblocking(False)
        return sock

    async def start(self) -> None:
        sock = self._bind()
        config = uvicorn.Config(
            self._app, log_config=None, access_log=False, lifespan="off", timeout_keep_alive=5
        )
        self._server = EmbeddedServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        await asyncio.gather(self._task, return_exceptions=True)
