"""Where a service's HTTP surface (service_http.py) is served. Distributed, each service
serves it on its own port (`TRADEWIND_<SERVICE>_HTTP_PORT`, off when 0). Standalone binds
only its public ports, so there every surface is mounted on the api's port under
`/services/<service>` instead (`ServiceSurfaces`).

Light to import: FastAPI and uvicorn load only when a surface is built, so a service
whose surface is off starts no slower for having one."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tradewind_core.logging import get_logger

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from tradewind_core.service_http import HttpServer

log = get_logger(__name__)


class ServiceSurfaces:
    """Standalone: the services' surfaces, served under `/<service>` of the prefix the
    api mounts this at. Services add themselves as they start."""

    def __init__(self) -> None:
        from starlette.routing import Router

        self._router = Router()

    def add(self, name: str, app: ASGIApp) -> None:
        from starlette.routing import Mount

        self._router.routes.append(Mount(f"/{name}", app=app))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._router(scope, receive, send)


async def expose(
    build: Callable[[], Any],
    *,
    name: str,
    host: str,
    port: int,
    setting: str,
    surfaces: ServiceSurfaces | None,
) -> HttpServer | None:
    """Mounts the surface `build` makes on the api (standalone) or serves it on its port;
    port 0 and no standalone api: not built, not served. Returns the server to stop, if
    one was started."""
    if surfaces is not None:
        surfaces.add(name, build())
        return None
    if not port:
        return None
    from tradewind_core.service_http import HttpServer

    server = HttpServer(build(), host, port, setting=setting)
    await server.start()
    log.info(f"{name} http serving", url=f"http://{host}:{port}")
    return server
