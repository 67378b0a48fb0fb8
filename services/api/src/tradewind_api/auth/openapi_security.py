"""The access policy in the OpenAPI document: how to authenticate, which operations need
it, and the 401 and 403 they answer."""

from __future__ import annotations

from typing import Any

from tradewind_api.auth.policy import ROUTES, Public, SignedIn
from tradewind_api.openapi_problems import PROBLEM

SCHEMES = {
    "HTTPBearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An access token from `POST /auth/token`, or an API token (`twk_…`).",
    },
    "SessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "tradewind_session",
        "description": "The dashboard's session (`POST /auth/login`); changes also need the "
        "`X-CSRF-Token` header.",
    },
}


def declare_security(schema: dict[str, Any]) -> None:
    schema.setdefault("components", {})["securitySchemes"] = SCHEMES
    reference = {"schema": {"$ref": "#/components/schemas/Problem"}}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            rule = ROUTES.get((method.upper(), path))
            if rule is None or isinstance(rule, Public):
                continue
            operation["security"] = [{"HTTPBearer": []}, {"SessionCookie": []}]
            responses = operation.setdefault("responses", {})
            responses["401"] = {
                "description": "No valid credential: sign in first",
                "content": {PROBLEM: reference},
            }
            if not isinstance(rule, SignedIn):
                responses["403"] = {
                    "description": "Your role or DAG grants do not allow this",
                    "content": {PROBLEM: reference},
                }
