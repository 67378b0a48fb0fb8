"""The access policy: what each role may do, and what each route asks for.

Roles are Airflow's: Viewer reads, User also changes DAGs, runs and task instances, Op also
runs the platform (pools, variables, connections, configuration), Admin also manages users.
Every route of the API has exactly one entry in `ROUTES`; a route without one is refused
to everybody (the role matrix test fails on it first).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    VIEWER = "Viewer"
    USER = "User"
    OP = "Op"
    ADMIN = "Admin"


# What a role may do to any DAG (narrowed or widened per user by DAG grants).
DAG_ACTIONS = ("read", "edit", "trigger", "delete")

_VIEWER = {"dag:read", "pool:read", "worker:read", "event_log:read", "import_error:read"}
_USER = _VIEWER | {"dag:edit", "dag:trigger", "dag:delete"}
_OP = _USER | {
    "pool:write",
    "variable:read",
    "variable:write",
    "connection:read",
    "connection:write",
    "config:read",
}
ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.VIEWER: frozenset(_VIEWER),
    Role.USER: frozenset(_USER),
    Role.OP: frozenset(_OP),
    Role.ADMIN: frozenset(_OP | {"user:admin"}),
}


@dataclass(frozen=True)
class Public:
    """Anyone, signed in or not."""


@dataclass(frozen=True)
class SignedIn:
    """Any signed-in user (their own profile and tokens)."""


@dataclass(frozen=True)
class Needs:
    """A permission on something that is not a DAG."""

    permission: str


@dataclass(frozen=True)
class OnDag:
    """A DAG action. The DAG comes from the path's `dag_id`; `~` (every DAG) and routes
    whose DAG is in the body or found by id check each DAG themselves and leave out what
    the caller may not read."""

    action: str


Rule = Public | SignedIn | Needs | OnDag

_DAG = "/api/v2/dags/{dag_id}"
_RUN = _DAG + "/dagRuns/{dag_run_id}"
_TI = _RUN + "/taskInstances/{task_id}"
READ, EDIT, TRIGGER, DELETE = (OnDag(a) for a in DAG_ACTIONS)

ROUTES: dict[tuple[str, str], Rule] = {
    # Sign-in, and what the signed-in user may know about themselves.
    ("POST", "/auth/token"): Public(),
    ("POST", "/auth/login"): Public(),
    ("POST", "/auth/logout"): SignedIn(),
    ("GET", "/auth/me"): SignedIn(),
    ("GET", "/auth/tokens"): SignedIn(),
    ("POST", "/auth/tokens"): SignedIn(),
    ("DELETE", "/auth/tokens/{token_id}"): SignedIn(),
    # DAGs. Creating or updating from a spec checks edit on the spec's DAG id.
    ("POST", "/api/v2/dags"): EDIT,
    ("GET", "/api/v2/dags"): READ,
    ("PATCH", "/api/v2/dags"): EDIT,
    ("GET", _DAG): READ,
    ("PATCH", _DAG): EDIT,
    ("DELETE", _DAG): DELETE,
    ("GET", _DAG + "/details"): READ,
    ("GET", _DAG + "/tasks"): READ,
    ("GET", _DAG + "/tasks/{task_id}"): READ,
    ("GET", _DAG + "/grid"): READ,
    ("GET", _DAG + "/events"): READ,
    ("GET", _DAG + "/dagVersions"): READ,
    ("GET", _DAG + "/dagVersions/{version_number}"): READ,
    ("GET", "/api/v2/dagSources/{dag_id}"): READ,
    ("GET", "/api/v2/dagStats"): READ,
    ("GET", "/api/v2/dagTags"): READ,
    # Runs and task instances.
    ("GET", _DAG + "/dagRuns"): READ,
    ("POST", _DAG + "/dagRuns"): TRIGGER,
    ("POST", _DAG + "/dagRuns/list"): READ,
    ("GET", _RUN): READ,
    ("PATCH", _RUN): EDIT,
    ("DELETE", _RUN): DELETE,
    ("POST", _RUN + "/clear"): EDIT,
    ("GET", _RUN + "/events"): READ,
    ("POST", _DAG + "/clearTaskInstances"): EDIT,
    ("GET", _RUN + "/taskInstances"): READ,
    ("POST", _RUN + "/taskInstances/list"): READ,
    ("GET", _TI): READ,
    ("PATCH", _TI): EDIT,
    ("PATCH", _TI + "/dry_run"): READ,
    ("GET", _TI + "/tries"): READ,
    ("GET", _TI + "/tries/{task_try_number}"): READ,
    ("GET", _TI + "/logs/{try_number}"): READ,
    ("GET", _TI + "/xcomEntries"): READ,
    ("GET", _TI + "/xcomEntries/{xcom_key}"): READ,
    # Backfills: their DAG is in the body or found through the backfill.
    ("POST", "/api/v2/backfills"): TRIGGER,
    ("POST", "/api/v2/backfills/dry_run"): READ,
    ("GET", "/api/v2/backfills"): READ,
    ("GET", "/api/v2/backfills/{backfill_id}"): READ,
    ("PUT", "/api/v2/backfills/{backfill_id}/pause"): TRIGGER,
    ("PUT", "/api/v2/backfills/{backfill_id}/unpause"): TRIGGER,
    ("PUT", "/api/v2/backfills/{backfill_id}/cancel"): TRIGGER,
    # The platform.
    ("GET", "/api/v2/pools"): Needs("pool:read"),
    ("POST", "/api/v2/pools"): Needs("pool:write"),
    ("PATCH", "/api/v2/pools"): Needs("pool:write"),
    ("GET", "/api/v2/pools/{pool_name}"): Needs("pool:read"),
    ("PATCH", "/api/v2/pools/{pool_name}"): Needs("pool:write"),
    ("DELETE", "/api/v2/pools/{pool_name}"): Needs("pool:write"),
    ("GET", "/api/v2/variables"): Needs("variable:read"),
    ("POST", "/api/v2/variables"): Needs("variable:write"),
    ("PATCH", "/api/v2/variables"): Needs("variable:write"),
    ("GET", "/api/v2/variables/{variable_key}"): Needs("variable:read"),
    ("PATCH", "/api/v2/variables/{variable_key}"): Needs("variable:write"),
    ("DELETE", "/api/v2/variables/{variable_key}"): Needs("variable:write"),
    ("GET", "/api/v2/connections"): Needs("connection:read"),
    ("POST", "/api/v2/connections"): Needs("connection:write"),
    ("PATCH", "/api/v2/connections"): Needs("connection:write"),
    ("GET", "/api/v2/connections/{connection_id}"): Needs("connection:read"),
    ("PATCH", "/api/v2/connections/{connection_id}"): Needs("connection:write"),
    ("DELETE", "/api/v2/connections/{connection_id}"): Needs("connection:write"),
    ("GET", "/api/v2/workers"): Needs("worker:read"),
    ("GET", "/api/v2/eventLogs"): Needs("event_log:read"),
    ("GET", "/api/v2/eventLogs/{event_log_id}"): Needs("event_log:read"),
    ("GET", "/api/v2/importErrors"): Needs("import_error:read"),
    ("GET", "/api/v2/importErrors/{import_error_id}"): Needs("import_error:read"),
    ("GET", "/api/v2/config"): Needs("config:read"),
    ("GET", "/api/v2/config/section/{section}/option/{option}"): Needs("config:read"),
    # Users (Admin).
    ("GET", "/auth/users"): Needs("user:admin"),
    ("POST", "/auth/users"): Needs("user:admin"),
    ("GET", "/auth/users/{username}"): Needs("user:admin"),
    ("PATCH", "/auth/users/{username}"): Needs("user:admin"),
    ("DELETE", "/auth/users/{username}"): Needs("user:admin"),
    # Open to all: probes and what version is running (as Airflow does).
    ("GET", "/api/v2/monitor/health"): Public(),
    ("GET", "/api/v2/version"): Public(),
}
