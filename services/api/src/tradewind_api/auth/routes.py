"""Signing in and out (`/auth/token` as Airflow 3's clients expect, and the dashboard's
cookie session), the caller's own profile and API tokens, and user management (Admin)."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, Field

from tradewind_api.auth.access import CSRF_COOKIE, SESSION_COOKIE
from tradewind_api.auth.directory import GrantSpec
from tradewind_api.auth.models import ApiToken, DagGrant, User
from tradewind_api.auth.principal import Principal
from tradewind_api.context import AppContext, get_context
from tradewind_api.models import EventLog
from tradewind_core.errors import Unauthenticated
from tradewind_core.logging import get_logger
from tradewind_core.timeutil import utcnow

router = APIRouter(prefix="/auth", tags=["Auth"])
users_router = APIRouter(prefix="/auth/users", tags=["Users"])
Ctx = Annotated[AppContext, Depends(get_context)]
log = get_logger(__name__)
TAG_METADATA = [
    {
        "name": "Auth",
        "description": "Signing in and out: access tokens (`POST /auth/token`), the dashboard's "
        "session, and your own API tokens.",
    },
    {"name": "Users", "description": "Users, their roles and DAG grants (Admin only)."},
]
RoleName = Literal["Viewer", "User", "Op", "Admin"]
DagAction = Literal["read", "edit", "trigger", "delete"]


def current_principal(request: Request) -> Principal:
    return request.state.principal


Caller = Annotated[Principal, Depends(current_principal)]


class LoginBody(BaseModel):
    username: str = Field(min_length=1, max_length=100, examples=["admin"])
    password: str = Field(min_length=1, max_length=1024, examples=["s3cret-passw0rd"])


class TokenResponse(BaseModel):
    access_token: str = Field(description="Send as `Authorization: Bearer <access_token>`.")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.", examples=[86400])


class GrantBody(BaseModel):
    dag_id: str | None = Field(default=None, max_length=250, examples=["nightly_sales"])
    tag: str | None = Field(default=None, max_length=100, examples=["sales"])
    actions: list[DagAction] = Field(min_length=1, examples=[["read", "trigger"]])

    def spec(self) -> GrantSpec:
        return GrantSpec(
            actions=tuple(dict.fromkeys(self.actions)), dag_id=self.dag_id, tag=self.tag
        )


class MeResponse(BaseModel):
    username: str
    role: RoleName
    permissions: list[str] = Field(description="What the role allows (`dag:read`, `pool:write`…).")
    dag_grants: list[GrantBody] = Field(
        description="When not empty, the only DAGs this user may act on, and how."
    )


class ApiTokenBody(BaseModel):
    name: str = Field(min_length=1, max_length=100, examples=["ci-deployer"])
    expires_in_days: int | None = Field(
        default=90, ge=1, le=3650, description="Null: never expires.", examples=[90]
    )


class ApiTokenResponse(BaseModel):
    id: int
    name: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = None


class NewApiTokenResponse(ApiTokenResponse):
    token: str = Field(description="Shown once: only its hash is kept.")


class ApiTokenCollection(BaseModel):
    tokens: list[ApiTokenResponse]
    total_entries: int


class UserBody(BaseModel):
    username: str = Field(min_length=1, max_length=100, examples=["ada"])
    password: str = Field(min_length=8, max_length=1024)
    role: RoleName = "Viewer"
    dag_grants: list[GrantBody] = []


class UserPatchBody(BaseModel):
    role: RoleName | None = None
    password: str | None = Field(default=None, min_length=8, max_length=1024)
    dag_grants: list[GrantBody] | None = None


class UserResponse(BaseModel):
    username: str
    role: RoleName
    created_at: datetime
    dag_grants: list[GrantBody]


class UserCollection(BaseModel):
    users: list[UserResponse]
    total_entries: int


def _client_host(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _record_sign_in(
    ctx: AppContext, request: Request, username: str, ok: bool, how: str
) -> None:
    """Every sign-in, and every refused one, in the event log (who, when, from where)."""

    try:
        async with ctx.db.transaction() as session:
            session.add(
                EventLog(
                    dttm=utcnow(),
                    event="login" if ok else "login_failed",
                    owner=username[:500],
                    extra=json.dumps({"host": _client_host(request), "via": how}),
                )
            )
    except Exception:
        log.error("sign-in record failed", exc_info=True)


async def _sign_in(ctx: AppContext, request: Request, body: LoginBody, how: str) -> User:
    try:
        user = await ctx.directory.check_password(body.username, body.password)
    except Unauthenticated:
        await _record_sign_in(ctx, request, body.username, False, how)
        raise
    await _record_sign_in(ctx, request, body.username, True, how)
    return user


@router.post(
    "/token",
    status_code=201,
    operation_id="create_token",
    summary="Get an access token",
    description="Trade a username and password for a JWT access token, as Airflow 3's "
    "clients do. Send it as `Authorization: Bearer <access_token>` on every other call.",
    responses={401: {"description": "Wrong username or password"}},
)
async def create_token(body: LoginBody, request: Request, ctx: Ctx) -> TokenResponse:
    user = await _sign_in(ctx, request, body, "token")
    token, _ = ctx.signer.issue(user.username, user.token_generation)
    return TokenResponse(access_token=token, expires_in=int(ctx.signer.lifetime.total_seconds()))


def _cookie_secure(ctx: AppContext, request: Request) -> bool:
    if ctx.settings.api_cookie_secure is not None:
        return ctx.settings.api_cookie_secure
    return request.url.scheme == "https"


@router.post(
    "/login",
    operation_id="login",
    summary="Sign in to the dashboard",
    description="Sets the session cookie (HttpOnly) and the CSRF cookie; every change made "
    "with the session cookie must send the CSRF cookie's value in `X-CSRF-Token`.",
    responses={401: {"description": "Wrong username or password"}},
)
async def login(body: LoginBody, request: Request, response: Response, ctx: Ctx) -> MeResponse:
    user = await _sign_in(ctx, request, body, "dashboard")
    token, claims = ctx.signer.issue(user.username, user.token_generation)
    max_age = int(ctx.signer.lifetime.total_seconds())
    secure = _cookie_secure(ctx, request)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="strict", secure=secure
    )
    response.set_cookie(
        CSRF_COOKIE,
        secrets.token_urlsafe(32),
        max_age=max_age,
        httponly=False,  # the dashboard reads it to echo it in X-CSRF-Token
        samesite="strict",
        secure=secure,
    )
    principal = await ctx.directory.principal_for_access_token(claims, via="cookie")
    return _me(principal)


@router.post(
    "/logout",
    status_code=204,
    operation_id="logout",
    summary="Sign out",
    description="Revokes the access token the call was made with and clears the cookies.",
)
async def logout(caller: Caller, request: Request, response: Response, ctx: Ctx) -> None:
    if caller.jti is not None:
        claims = ctx.signer.verify(_credential(request))
        await ctx.directory.revoke(claims.jti, claims.expires_at)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict")
    response.delete_cookie(CSRF_COOKIE, samesite="strict")


def _credential(request: Request) -> str:
    header = request.headers.get("authorization")
    if header:
        return header.partition(" ")[2].strip()
    return request.cookies.get(SESSION_COOKIE, "")


def _actions(actions: str | frozenset[str]) -> list[str]:
    return sorted(actions.split(",") if isinstance(actions, str) else actions)


def _grants(rows: list[DagGrant] | tuple) -> list[GrantBody]:  # type: ignore[type-arg]
    return [
        GrantBody(
            dag_id=g.dag_id,
            tag=g.tag,
            actions=_actions(g.actions),  # type: ignore[arg-type]
        )  # type: ignore[arg-type]
        for g in rows
    ]


def _me(principal: Principal) -> MeResponse:
    return MeResponse(
        username=principal.username,
        role=principal.role.value,  # type: ignore[arg-type]
        permissions=sorted(principal.permissions),
        dag_grants=_grants(principal.grants),
    )


@router.get(
    "/me",
    operation_id="get_me",
    summary="Who am I",
    description="The signed-in user, their role and what it allows.",
)
async def get_me(caller: Caller) -> MeResponse:
    return _me(caller)


def _token(row: ApiToken) -> ApiTokenResponse:
    return ApiTokenResponse(
        id=row.id,  # type: ignore[arg-type]
        name=row.name,
        created_at=row.created_at,  # type: ignore[arg-type]
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
    )


@router.get(
    "/tokens",
    operation_id="get_api_tokens",
    summary="List my API tokens",
    description="The caller's API tokens (never the tokens themselves).",
)
async def get_api_tokens(caller: Caller, ctx: Ctx) -> ApiTokenCollection:
    rows = await ctx.directory.list_api_tokens(caller.username)
    return ApiTokenCollection(tokens=[_token(r) for r in rows], total_entries=len(rows))


@router.post(
    "/tokens",
    status_code=201,
    operation_id="create_api_token",
    summary="Make an API token",
    description="A long-lived token for machines, acting as the caller. The token is "
    "in this answer only.",
)
async def create_api_token(body: ApiTokenBody, caller: Caller, ctx: Ctx) -> NewApiTokenResponse:
    expires = utcnow() + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    token, row = await ctx.directory.create_api_token(caller.username, body.name, expires)
    return NewApiTokenResponse(**_token(row).model_dump(), token=token)


@router.delete(
    "/tokens/{token_id}",
    status_code=204,
    operation_id="delete_api_token",
    summary="Revoke an API token",
    description="The token stops working at once.",
    responses={404: {"description": "No such token of yours"}},
)
async def delete_api_token(token_id: Annotated[int, Path(ge=1)], caller: Caller, ctx: Ctx) -> None:
    await ctx.directory.delete_api_token(caller.username, token_id)


def _user(user: User, grants: list[DagGrant]) -> UserResponse:
    return UserResponse(
        username=user.username,
        role=user.role,  # type: ignore[arg-type]
        created_at=user.created_at,  # type: ignore[arg-type]
        dag_grants=_grants(grants),
    )


@users_router.get("", operation_id="get_users", summary="List users", description="Admin only.")
async def get_users(ctx: Ctx) -> UserCollection:
    found = await ctx.directory.list_users()
    return UserCollection(users=[_user(u, g) for u, g in found], total_entries=len(found))


@users_router.post(
    "",
    status_code=201,
    operation_id="create_user",
    summary="Create a user",
    description="Admin only.",
    responses={409: {"description": "Exists"}},
)
async def create_user(body: UserBody, ctx: Ctx) -> UserResponse:
    await ctx.directory.create_user(
        body.username, body.password, body.role, [g.spec() for g in body.dag_grants]
    )
    return _user(*await ctx.directory.get_user(body.username))


UsernamePath = Annotated[str, Path(min_length=1, max_length=100)]


@users_router.get(
    "/{username}",
    operation_id="get_user",
    summary="Get a user",
    description="Admin only.",
    responses={404: {"description": "No such user"}},
)
async def get_user(username: UsernamePath, ctx: Ctx) -> UserResponse:
    return _user(*await ctx.directory.get_user(username))


@users_router.patch(
    "/{username}",
    operation_id="patch_user",
    summary="Change a user",
    description="Admin only. A new password signs the user out everywhere.",
    responses={404: {"description": "No such user"}},
)
async def patch_user(username: UsernamePath, body: UserPatchBody, ctx: Ctx) -> UserResponse:
    await ctx.directory.update_user(
        username,
        role=body.role,
        password=body.password,
        grants=[g.spec() for g in body.dag_grants] if body.dag_grants is not None else None,
    )
    return _user(*await ctx.directory.get_user(username))


@users_router.delete(
    "/{username}",
    status_code=204,
    operation_id="delete_user",
    summary="Delete a user",
    description="Admin only. Their API tokens go too.",
    responses={404: {"description": "No such user"}},
)
async def delete_user(username: UsernamePath, ctx: Ctx) -> None:
    await ctx.directory.delete_user(username)
