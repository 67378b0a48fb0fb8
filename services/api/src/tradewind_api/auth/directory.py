"""The user directory: users, their grants and API tokens, and revoked access tokens, in
the api's database. Used by the routes, the `tradewind users` command and the first start."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from tradewind_api.auth import passwords
from tradewind_api.auth.models import ApiToken, DagGrant, RevokedToken, User
from tradewind_api.auth.policy import DAG_ACTIONS, Role
from tradewind_api.auth.principal import Grant, Principal
from tradewind_api.auth.tokens import AccessClaims, api_token_digest, new_api_token
from tradewind_api.models import DagTag
from tradewind_core.db import Database
from tradewind_core.errors import AlreadyExists, InvalidArgument, NotFound, Unauthenticated
from tradewind_core.timeutil import as_utc, utcnow

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$")
ADMIN = "admin"


@dataclass(frozen=True)
class GrantSpec:
    actions: tuple[str, ...]
    dag_id: str | None = None
    tag: str | None = None

    def check(self) -> None:
        if (self.dag_id is None) == (self.tag is None):
            raise InvalidArgument("a grant names either a dag_id or a tag")
        unknown = sorted(set(self.actions) - set(DAG_ACTIONS))
        if unknown or not self.actions:
            raise InvalidArgument(
                f"a grant's actions are some of {', '.join(DAG_ACTIONS)}; got {unknown or '[]'}"
            )


def check_username(username: str) -> None:
    if not USERNAME.match(username):
        raise InvalidArgument(
            "a username is 1-100 letters, digits or _.@- and starts with a letter or digit"
        )


def check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidArgument(
            f"unknown role {role!r}; roles are {', '.join(r.value for r in Role)}"
        ) from None


class Directory:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- users -------------------------------------------------------------------------

    async def count_users(self) -> int:
        async with self.db.reader() as session:
            return len((await session.execute(select(User.id))).all())

    async def create_user(
        self,
        username: str,
        password: str,
        role: str,
        grants: list[GrantSpec] = (),  # type: ignore[assignment]
    ) -> User:
        check_username(username)
        role = check_role(role)
        _check_password(password)
        for grant in grants:
            grant.check()
        hashed = passwords.hash_password(password)
        async with self.db.transaction() as session:
            if (await session.execute(select(User).where(User.username == username))).first():
                raise AlreadyExists(f"user {username!r} already exists")
            user = User(
                username=username, password_hash=hashed, role=role.value, created_at=utcnow()
            )
            session.add(user)
            await session.flush()
            for grant in grants:
                session.add(_grant_row(user.id, grant))  # type: ignore[arg-type]
        return user

    async def get_user(self, username: str) -> tuple[User, list[DagGrant]]:
        async with self.db.reader() as session:
            user = await _existing_user(session, username)
            grants = (
                (await session.execute(select(DagGrant).where(DagGrant.user_id == user.id)))
                .scalars()
                .all()
            )
            return user, list(grants)

    async def list_users(self) -> list[tuple[User, list[DagGrant]]]:
        async with self.db.reader() as session:
            users = (await session.execute(select(User).order_by(User.username))).scalars().all()
            grants = (await session.execute(select(DagGrant))).scalars().all()
        by_user: dict[int, list[DagGrant]] = {}
        for grant in grants:
            by_user.setdefault(grant.user_id, []).append(grant)
        return [(u, by_user.get(u.id, [])) for u in users]  # type: ignore[arg-type]

    async def update_user(
        self,
        username: str,
        *,
        role: str | None = None,
        password: str | None = None,
        grants: list[GrantSpec] | None = None,
    ) -> None:
        checked_role = check_role(role) if role is not None else None
        if password is not None:
            _check_password(password)
        for grant in grants or ():
            grant.check()
        hashed = passwords.hash_password(password) if password is not None else None
        async with self.db.transaction() as session:
            user = await _existing_user(session, username)
            if checked_role is not None:
                if user.role == Role.ADMIN and checked_role != Role.ADMIN:
                    await _keep_an_admin(session, user.id)
                user.role = checked_role.value
            if hashed is not None:
                user.password_hash = hashed
                # A new password signs out every access token issued with the old one.
                user.token_generation += 1
            if grants is not None:
                await session.execute(delete(DagGrant).where(DagGrant.user_id == user.id))
                for grant in grants:
                    session.add(_grant_row(user.id, grant))  # type: ignore[arg-type]

    async def delete_user(self, username: str) -> None:
        async with self.db.transaction() as session:
            user = await _existing_user(session, username)
            if user.role == Role.ADMIN:
                await _keep_an_admin(session, user.id)
            await session.execute(delete(DagGrant).where(DagGrant.user_id == user.id))
            await session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
            await session.delete(user)

    # --- signing in ----------------------------------------------------------------------

    async def check_password(self, username: str, password: str) -> User:
        async with self.db.reader() as session:
            user = await _user_named(session, username)
        if not passwords.verify(user.password_hash if user else None, password) or user is None:
            raise Unauthenticated("wrong username or password")
        return user

    async def principal_for_access_token(self, claims: AccessClaims, via: str) -> Principal:
        async with self.db.reader() as session:
            revoked = await session.get(RevokedToken, claims.jti)
            user = await _user_named(session, claims.username)
            if revoked is not None or user is None or user.token_generation != claims.generation:
                raise Unauthenticated("the access token has been revoked; sign in again")
            return await _principal(session, user, via=via, jti=claims.jti)

    async def principal_for_api_token(self, token: str) -> Principal:
        digest = api_token_digest(token)
        now = utcnow()
        async with self.db.reader() as session:
            row = (
                await session.execute(select(ApiToken).where(ApiToken.token_sha256 == digest))
            ).scalar_one_or_none()
            if row is None:
                raise Unauthenticated("the API token is not valid or has been revoked")
            if row.expires_at is not None and as_utc(row.expires_at) <= now:
                raise Unauthenticated("the API token has expired")
            user = await session.get(User, row.user_id)
            if user is None:
                raise Unauthenticated("the API token is not valid or has been revoked")
            return await _principal(session, user, via="api_token")

    async def revoke(self, jti: str, expires_at: datetime) -> None:
        async with self.db.transaction() as session:
            if await session.get(RevokedToken, jti) is None:
                session.add(RevokedToken(jti=jti, expires_at=expires_at))
            # Records of tokens that have expired anyway are not needed any more.
            await session.execute(delete(RevokedToken).where(RevokedToken.expires_at < utcnow()))

    # --- API tokens ----------------------------------------------------------------------

    async def create_api_token(
        self, username: str, name: str, expires_at: datetime | None
    ) -> tuple[str, ApiToken]:
        token, digest = new_api_token()
        async with self.db.transaction() as session:
            user = await _existing_user(session, username)
            row = ApiToken(
                user_id=user.id,  # type: ignore[arg-type]
                name=name,
                token_sha256=digest,
                created_at=utcnow(),
                expires_at=expires_at,
            )
            session.add(row)
            await session.flush()
        return token, row

    async def list_api_tokens(self, username: str) -> list[ApiToken]:
        async with self.db.reader() as session:
            query = (
                select(ApiToken)
                .join(User, User.id == ApiToken.user_id)
                .where(User.username == username)
                .order_by(ApiToken.id)
            )
            return list((await session.execute(query)).scalars().all())

    async def delete_api_token(self, username: str, token_id: int) -> None:
        async with self.db.transaction() as session:
            user = await _user_named(session, username)
            found = await session.execute(
                delete(ApiToken).where(
                    ApiToken.id == token_id, ApiToken.user_id == (user.id if user else -1)
                )
            )
            if found.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound(f"API token {token_id} does not exist")

    # --- DAG visibility -------------------------------------------------------------------

    async def dag_tags(self, dag_id: str) -> list[str]:
        async with self.db.reader() as session:
            query = select(DagTag.name).where(DagTag.dag_id == dag_id)
            return list((await session.execute(query)).scalars().all())

    async def visible_dag_ids(self, principal: Principal, action: str = "read") -> set[str] | None:
        """Every DAG id the principal may act on, or None for "every DAG"."""
        if not principal.dag_restricted:
            return None if principal.can(f"dag:{action}") else set()
        ids = {g.dag_id for g in principal.grants if g.dag_id and action in g.actions}
        tags = {g.tag for g in principal.grants if g.tag and action in g.actions}
        if tags:
            async with self.db.reader() as session:
                query = select(DagTag.dag_id).where(DagTag.name.in_(tags))  # type: ignore[attr-defined]
                ids |= set((await session.execute(query)).scalars().all())
        return ids


async def _user_named(session, username: str) -> User | None:  # type: ignore[no-untyped-def]
    found = await session.execute(select(User).where(User.username == username))
    return found.scalar_one_or_none()


async def _existing_user(session, username: str) -> User:  # type: ignore[no-untyped-def]
    user = await _user_named(session, username)
    if user is None:
        raise NotFound(f"user {username!r} does not exist")
    return user


def _check_password(password: str) -> None:
    try:
        passwords.check_strength(password)
    except ValueError as exc:
        raise InvalidArgument(str(exc)) from None


def _grant_row(user_id: int, grant: GrantSpec) -> DagGrant:
    return DagGrant(
        user_id=user_id, dag_id=grant.dag_id, tag=grant.tag, actions=",".join(grant.actions)
    )


async def _keep_an_admin(session, user_id: int | None) -> None:  # type: ignore[no-untyped-def]
    others = await session.execute(
        select(User.id).where(User.role == Role.ADMIN.value, User.id != user_id).limit(1)
    )
    if others.first() is None:
        raise InvalidArgument("the last Admin cannot be removed or demoted")


async def _principal(session, user: User, *, via: str, jti: str | None = None) -> Principal:  # type: ignore[no-untyped-def]
    rows = (
        (await session.execute(select(DagGrant).where(DagGrant.user_id == user.id))).scalars().all()
    )
    grants = tuple(
        Grant(actions=frozenset(r.actions.split(",")), dag_id=r.dag_id, tag=r.tag) for r in rows
    )
    return Principal(username=user.username, role=Role(user.role), grants=grants, via=via, jti=jti)
