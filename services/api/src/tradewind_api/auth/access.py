"""The door every request passes: who is calling (an access token, an API token, or the
dashboard's session cookie with its CSRF token), and whether the policy lets them do what
the matched route does. Runs before any route, so no route can forget it; a route without
a rule in the policy is refused to everybody."""

from __future__ import annotations

import hmac
import re
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from tradewind_api.auth.policy import ROUTES, Needs, OnDag, Public, Rule, SignedIn
from tradewind_api.auth.principal import Principal
from tradewind_api.auth.tokens import API_TOKEN_PREFIX
from tradewind_api.problems import problem
from tradewind_core.errors import PermissionDenied, Unauthenticated

if TYPE_CHECKING:
    from tradewind_api.context import AppContext

SESSION_COOKIE = "tradewind_session"
CSRF_COOKIE = "tradewind_csrf"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# The other services' own surfaces (standalone serves them here) are for operators; their
# health probes are for anyone.
_SURFACES = "/services"
_OPERATOR = Needs("config:read")


class AccessControl:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rule, path_params = _rule_for(scope)
        if isinstance(rule, Public):
            await self.app(scope, receive, send)
            return
        ctx: AppContext = scope["app"].state.context
        try:
            principal = await authenticate(ctx, HTTPConnection(scope))
            await authorize(ctx, principal, rule, path_params)
        except Unauthenticated as exc:
            response = problem(
                401, "Unauthorized", exc.detail, headers={"WWW-Authenticate": "Bearer"}
            )
            await response(scope, receive, send)
            return
        except PermissionDenied as exc:
            await problem(403, "Forbidden", exc.detail)(scope, receive, send)
            return
        except HiddenDag as exc:
            await problem(404, "Not Found", str(exc))(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["principal"] = principal
        state["user_name"] = principal.username
        await self.app(scope, receive, send)


class HiddenDag(Exception):
    """A DAG the caller may not read: answered exactly as a DAG that does not exist."""


def _compile() -> list[tuple[str, re.Pattern[str], Rule]]:
    compiled = [
        (method, compile_path(template)[0], rule) for (method, template), rule in ROUTES.items()
    ]
    # A literal segment wins over a parameter (`/backfills/dry_run` over `/{backfill_id}`).
    return sorted(compiled, key=lambda entry: entry[1].pattern.count("(?P<"))


_COMPILED = _compile()
# Under these, a request that no rule names still needs a signed-in caller (the app then
# answers 404 or 405): nothing under the API is open by omission.
_API_PREFIXES = ("/api/", "/auth/")


def _rule_for(scope: Scope) -> tuple[Rule, dict[str, str]]:
    path, method = scope["path"], scope["method"]
    if path.startswith(_API_PREFIXES):
        for rule_method, pattern, rule in _COMPILED:
            if rule_method == method and (found := pattern.match(path)):
                return rule, found.groupdict()
        return SignedIn(), {}
    if path == _SURFACES or path.startswith(_SURFACES + "/"):
        return (Public() if "/health/" in path else _OPERATOR), {}
    # The dashboard's pages and assets, the docs page and the OpenAPI document: public
    # (the pages show nothing until the API lets them).
    return Public(), {}


async def authenticate(ctx: AppContext, conn: HTTPConnection) -> Principal:
    header = conn.headers.get("authorization")
    if header:
        scheme, _, credential = header.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise Unauthenticated("send `Authorization: Bearer <token>`")
        return await principal_for_token(ctx, credential)
    session = conn.cookies.get(SESSION_COOKIE)
    if session:
        if conn.scope["method"] not in _SAFE_METHODS:
            sent = conn.headers.get(CSRF_HEADER, "")
            expected = conn.cookies.get(CSRF_COOKIE, "")
            if not sent or not expected or not hmac.compare_digest(sent, expected):
                raise PermissionDenied(
                    "a change made with the session cookie must send the X-CSRF-Token header"
                )
        claims = ctx.signer.verify(session)
        return await ctx.directory.principal_for_access_token(claims, via="cookie")
    raise Unauthenticated("sign in first: POST /auth/token, then send the access token")


async def principal_for_token(ctx: AppContext, token: str) -> Principal:
    if token.startswith(API_TOKEN_PREFIX):
        return await ctx.directory.principal_for_api_token(token)
    claims = ctx.signer.verify(token)
    return await ctx.directory.principal_for_access_token(claims, via="bearer")


async def authorize(
    ctx: AppContext, principal: Principal, rule: Rule, path_params: dict[str, str]
) -> None:
    if isinstance(rule, SignedIn | Public):
        return
    if isinstance(rule, Needs):
        if not principal.can(rule.permission):
            raise PermissionDenied(f"your role ({principal.role}) may not do this")
        return
    assert isinstance(rule, OnDag)
    dag_id = path_params.get("dag_id")
    if dag_id is None or dag_id == "~":
        # Lists and routes whose DAG is in the body check each DAG themselves.
        if not principal.may_on_some_dag(rule.action):
            raise PermissionDenied(f"your role ({principal.role}) may not {rule.action} DAGs")
        return
    await check_dag(ctx, principal, dag_id, rule.action)


async def check_dag(ctx: AppContext, principal: Principal, dag_id: str, action: str) -> None:
    tags = await ctx.directory.dag_tags(dag_id) if principal.needs_tags else ()
    allowed = principal.dag_actions(dag_id, tags)
    if "read" not in allowed:
        raise HiddenDag(f"The DAG with dag_id: `{dag_id}` was not found")
    if action not in allowed:
        raise PermissionDenied(f"you may not {action} the DAG {dag_id!r}")
