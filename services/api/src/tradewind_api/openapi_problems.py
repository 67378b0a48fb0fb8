"""Error responses in the OpenAPI document as they are really sent: RFC 9457 problem
details (`application/problem+json`, see problems.py), not FastAPI's default JSON shape."""

from __future__ import annotations

from typing import Any

PROBLEM = "application/problem+json"
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details: what went wrong, for a person to read.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "examples": ["about:blank"]},
        "title": {"type": "string", "examples": ["Invalid request"]},
        "status": {"type": "integer", "examples": [422]},
        "detail": {
            "type": "string",
            "description": "What went wrong, naming the field at fault where there is one.",
            "examples": ["query.limit: Input should be greater than or equal to 0"],
        },
        "errors": {
            "type": "array",
            "description": "One entry per field at fault (422 only).",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                    "field": {"type": "string", "examples": ["limit"]},
                },
            },
        },
        "correlation_id": {
            "type": "string",
            "description": "500 only: quote it when reporting the error.",
        },
    },
}
DESCRIPTIONS = {
    "400": "The body cannot be parsed as JSON (or YAML where accepted)",
    "404": "Not found",
    "409": "Conflict with the current state",
    "413": "The request body is larger than the configured cap",
    "415": "The body's Content-Type is not one the API reads",
    "422": "Invalid input: `errors` names each field at fault",
    "503": "A service this one needs is down; retry after `Retry-After` seconds",
}


def declare_problems(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    reference = {"schema": {"$ref": "#/components/schemas/Problem"}}
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "{" in path:  # an id in the path that may name nothing
                responses.setdefault("404", {})
            if "requestBody" in operation:
                responses.setdefault("400", {})  # a body that is not valid JSON or YAML
                responses.setdefault("413", {})
                responses.setdefault("415", {})
            # Any call may find the database or a peer service down.
            responses.setdefault("503", {})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    description = response.get("description")
                    if not description or description == "Validation Error":
                        response["description"] = DESCRIPTIONS.get(status, "Error")
                    response["content"] = {PROBLEM: reference}
    # FastAPI's own error shapes are no longer referenced.
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
