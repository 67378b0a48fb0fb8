"""The FastAPI application: routers, problem responses, and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from tradewind_api import dag_runs, dags, monitor
from tradewind_api.context import AppContext
from tradewind_api.problems import install_problem_handlers
from tradewind_core.spec import DagSpec

DESCRIPTION = """Tradewind's REST API, modeled on Apache Airflow 3's stable API (`/api/v2`):
create DAGs from specs, trigger runs, and follow their task instances.
Errors are RFC 9457 problem details (`application/problem+json`)."""


def create_app(context: AppContext | None = None) -> FastAPI:
    app = FastAPI(title="Tradewind API", version="2", description=DESCRIPTION)
    if context is not None:
        app.state.context = context
    install_problem_handlers(app)
    app.include_router(dags.router)
    app.include_router(dag_runs.router)
    app.include_router(monitor.router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            # POST /dags reads its body itself (JSON or YAML), so add the spec's schema.
            spec_schema = DagSpec.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(spec_schema.pop("$defs", {}))
            components["DagSpec"] = spec_schema
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
