"""The FastAPI application: routers, problem responses, and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI  # noqa: F401  the type create_app returns
from fastapi.openapi.utils import get_openapi
from fastapi_offline import FastAPIOffline

from tradewind_api import (
    about,
    backfills,
    connections,
    dag_runs,
    dag_stats,
    dag_versions,
    dags,
    event_logs,
    events,
    grid,
    import_errors,
    monitor,
    pools,
    pools_bulk,
    run_control,
    run_lists,
    task_instances,
    variables,
    workers,
    xcom_entries,
)
from tradewind_api.auth import routes as auth_routes
from tradewind_api.auth.access import AccessControl
from tradewind_api.auth.openapi_security import declare_security
from tradewind_api.context import AppContext
from tradewind_api.dashboard import install_dashboard
from tradewind_api.idempotency import Idempotency
from tradewind_api.openapi_problems import declare_problems
from tradewind_api.problems import install_problem_handlers
from tradewind_api.request_limits import RequestLimits
from tradewind_api.settings import ApiSettings
from tradewind_core.spec import DagSpec
from tradewind_core.surfaces import ServiceSurfaces

DESCRIPTION = """Tradewind's REST API, modeled on Apache Airflow 3's stable API (`/api/v2`):
create DAGs from specs, trigger runs, and follow their task instances.
Errors are RFC 9457 problem details (`application/problem+json`)."""


IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: a repeated request with the same key and body within 24 hours "
        "gets the first answer again (header `Idempotent-Replayed: true`) instead of being "
        "done twice. The same key with another body is refused with 422; a retry while the "
        "first is still being handled gets 409 with `Retry-After`."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "example": "5f0c7a4e-retry-safe-trigger",
}


# Standalone serves the other services' own HTTP surfaces here, under /services/<name>.
SERVICES_PREFIX = "/services"


def create_app(
    context: AppContext | None = None, surfaces: ServiceSurfaces | None = None
) -> FastAPI:
    # The docs page's assets are served by Tradewind itself: it works with no internet.
    app = FastAPIOffline(
        title="Tradewind API",
        version="2",
        description=DESCRIPTION,
        static_url="/static/docs",
        favicon_url=None,
    )

    install_dashboard(app)
    if context is not None:
        app.state.context = context
    install_problem_handlers(app)
    settings = context.settings if context is not None else ApiSettings()
    if context is not None:
        # Innermost: records what a route changed; a replayed answer changed nothing.
        app.add_middleware(event_logs.EventRecorder)
        app.add_middleware(Idempotency)  # inside the limits: sees only bodies they allowed
        # Before anything that acts on the request: who is calling, and may they.
        app.add_middleware(AccessControl)
    app.add_middleware(RequestLimits, max_body_bytes=settings.api_max_body_bytes)
    app.include_router(auth_routes.router)
    app.include_router(auth_routes.users_router)
    app.include_router(dags.router)
    app.include_router(run_lists.router)
    app.include_router(dag_runs.router)
    app.include_router(run_control.router)
    app.include_router(task_instances.router)
    app.include_router(dag_versions.router)
    app.include_router(monitor.router)
    app.include_router(pools.router)
    app.include_router(pools_bulk.router)
    app.include_router(backfills.router)
    app.include_router(xcom_entries.router)
    app.include_router(workers.router)
    app.include_router(grid.router)
    app.include_router(events.router)
    app.include_router(variables.router)
    app.include_router(connections.router)
    app.include_router(event_logs.router)
    app.include_router(import_errors.router)
    app.include_router(dag_stats.router)
    app.include_router(about.router)
    if surfaces is not None:
        app.mount(SERVICES_PREFIX, surfaces)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=[workers.TAG_METADATA, events.TAG_METADATA, *auth_routes.TAG_METADATA],
            )
            # POST /dags reads its body itself (JSON or YAML), so add the spec's schema.
            spec_schema = DagSpec.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(spec_schema.pop("$defs", {}))
            components["DagSpec"] = spec_schema
            for operations in schema.get("paths", {}).values():
                if "post" in operations:
                    operations["post"].setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
            declare_problems(schema)
            declare_security(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
