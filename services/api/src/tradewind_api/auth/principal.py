"""The signed-in caller, and what it may do: its role's permissions, and per DAG the
actions its grants (or, without grants, its role) allow."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tradewind_api.auth.policy import DAG_ACTIONS, ROLE_PERMISSIONS, Role


@dataclass(frozen=True)
class Grant:
    actions: frozenset[str]
    dag_id: str | None = None
    tag: str | None = None

    def matches(self, dag_id: str, tags: Iterable[str]) -> bool:
        return self.dag_id == dag_id if self.dag_id is not None else self.tag in set(tags)


@dataclass(frozen=True)
class Principal:
    username: str
    role: Role
    grants: tuple[Grant, ...] = ()
    # How the caller proved who it is: "bearer" (access token), "api_token", "cookie".
    via: str = "bearer"
    # The access token's id (bearer and cookie), for signing out.
    jti: str | None = None
    permissions: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "permissions", ROLE_PERMISSIONS[self.role])

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def dag_restricted(self) -> bool:
        return bool(self.grants)

    @property
    def needs_tags(self) -> bool:
        return any(g.tag is not None for g in self.grants)

    def dag_actions(self, dag_id: str, tags: Iterable[str] = ()) -> frozenset[str]:
        if not self.grants:
            return frozenset(a for a in DAG_ACTIONS if self.can(f"dag:{a}"))
        tags = list(tags)
        allowed: set[str] = set()
        for grant in self.grants:
            if grant.matches(dag_id, tags):
                allowed |= grant.actions
        return frozenset(allowed)

    def may_on_some_dag(self, action: str) -> bool:
        if not self.grants:
            return self.can(f"dag:{action}")
        return any(action in g.actions for g in self.grants)
