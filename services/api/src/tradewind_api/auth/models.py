"""The api's identity tables: users, their API tokens, revoked access tokens, and the
per-DAG grants that narrow or widen what a user may do to some DAGs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Identity, Text
from sqlmodel import Field

from tradewind_api.models import ApiModel, _BigId, _ts


class User(ApiModel, table=True):
    __tablename__ = "tw_user"
    id: int | None = Field(default=None, sa_column=Column(_BigId, Identity(), primary_key=True))
    username: str = Field(max_length=100, unique=True)
    # argon2id, with its parameters and salt (the encoded form argon2-cffi writes).
    password_hash: str = Field(sa_column=Column(Text, nullable=False))
    role: str = Field(max_length=20)
    created_at: datetime | None = _ts(nullable=False)
    # Bumped by a password reset: every access token issued before it stops working.
    token_generation: int = 0


class ApiToken(ApiModel, table=True):
    """A long-lived token for machines. Only its SHA-256 is kept; the token itself is shown
    once, when made."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, sa_column=Column(_BigId, Identity(), primary_key=True))
    user_id: int = Field(index=True)
    name: str = Field(max_length=100)
    token_sha256: str = Field(max_length=64, unique=True)
    created_at: datetime | None = _ts(nullable=False)
    expires_at: datetime | None = _ts(nullable=True)
    last_used_at: datetime | None = _ts(nullable=True)


class RevokedToken(ApiModel, table=True):
    """An access token signed out before it expired; kept until it would have expired."""

    __tablename__ = "revoked_token"
    jti: str = Field(primary_key=True, max_length=64)
    expires_at: datetime | None = _ts(nullable=False, index=True)


class DagGrant(ApiModel, table=True):
    """What a user may do to the DAGs one selector matches (a DAG id, or every DAG with a
    tag). A user with grants has exactly these DAG permissions; one without has its role's
    on every DAG."""

    __tablename__ = "dag_grant"
    id: int | None = Field(default=None, sa_column=Column(_BigId, Identity(), primary_key=True))
    user_id: int = Field(index=True)
    dag_id: str | None = Field(default=None, max_length=250)
    tag: str | None = Field(default=None, max_length=100)
    # Comma-separated DAG actions: read, edit, trigger, delete.
    actions: str = Field(max_length=100)
