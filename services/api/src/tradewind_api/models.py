"""The api's tables: DAGs, their immutable versions (keyed by content hash), tags, and the
code bundles uploaded with them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class ApiModel(SQLModel, registry=registry()):
    pass


# SQLite numbers rows itself only for an INTEGER primary key.
_BigId = BigInteger().with_variant(Integer(), "sqlite")


def _ts(**kw: Any) -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), **kw))


class Dag(ApiModel, table=True):
    __tablename__ = "dag"
    dag_id: str = Field(primary_key=True, max_length=250)
    dag_display_name: str | None = Field(default=None, max_length=2000)
    description: str | None = None
    schedule: str | None = Field(default=None, max_length=1000)
    is_paused: bool = False
    owners: str | None = Field(default=None, max_length=2000)
    max_active_runs: int = 16
    max_active_tasks: int = 16
    latest_version_id: str = Field(max_length=36)
    created_at: datetime | None = _ts(nullable=False)
    updated_at: datetime | None = _ts(nullable=False)


class DagVersion(ApiModel, table=True):
    """A DAG spec as it was stored: never changed, so runs pinned to it stay reproducible."""

    __tablename__ = "dag_version"
    __table_args__ = (
        UniqueConstraint("dag_id", "version_number", name="dag_version_number_key"),
        UniqueConstraint("dag_id", "content_hash", name="dag_version_hash_key"),
    )
    id: str = Field(primary_key=True, max_length=36)
    dag_id: str = Field(foreign_key="dag.dag_id", ondelete="CASCADE", max_length=250)
    version_number: int
    content_hash: str = Field(max_length=64)
    spec: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime | None = _ts(nullable=False)


class DagTag(ApiModel, table=True):
    __tablename__ = "dag_tag"
    name: str = Field(primary_key=True, max_length=100)
    dag_id: str = Field(
        primary_key=True, foreign_key="dag.dag_id", ondelete="CASCADE", max_length=250
    )


class IdempotencyKey(ApiModel, table=True):
    """A POST made with an `Idempotency-Key` header, and the answer it got: a retry with the
    same key is answered again from here instead of being done twice."""

    __tablename__ = "idempotency_key"
    # sha256 of method, path and key: one row per key and endpoint.
    id: str = Field(primary_key=True, max_length=64)
    key: str = Field(max_length=255)
    method: str = Field(max_length=10)
    path: str = Field(max_length=2000)
    request_hash: str = Field(max_length=64)
    status_code: int | None = None  # None while the first request is still being handled
    content_type: str | None = Field(default=None, max_length=200)
    response_body: str | None = None
    created_at: datetime | None = _ts(nullable=False, index=True)


class CodeBundle(ApiModel, table=True):
    """Python source uploaded with DAG specs, by content hash: versions that share a bundle
    share the row, and workers fetch it by hash (through the dispatcher)."""

    __tablename__ = "code_bundle"
    code_hash: str = Field(primary_key=True, max_length=64)
    files: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    size_bytes: int
    created_at: datetime | None = _ts(nullable=False)


class Variable(ApiModel, table=True):
    """A key and a value tasks can read. Values whose key looks secret are kept encrypted
    (`is_encrypted`); see secrets.py."""

    __tablename__ = "variable"
    id: int | None = Field(default=None, sa_column=Column(_BigId, Identity(), primary_key=True))
    key: str = Field(max_length=250, unique=True)
    val: str | None = Field(default=None, sa_column=Column(Text))
    description: str | None = Field(default=None, sa_column=Column(Text))
    is_encrypted: bool = False


class Connection(ApiModel, table=True):
    """How to reach an outside system. The password and extra are always kept encrypted."""

    __tablename__ = "connection"
    id: int | None = Field(default=None, sa_column=Column(_BigId, Identity(), primary_key=True))
    conn_id: str = Field(max_length=250, unique=True)
    conn_type: str = Field(max_length=500)
    description: str | None = Field(default=None, sa_column=Column(Text))
    host: str | None = Field(default=None, max_length=500)
    schema_: str | None = Field(default=None, max_length=500, sa_column_kwargs={"name": "schema"})
    login: str | None = Field(default=None, sa_column=Column(Text))
    password: str | None = Field(default=None, sa_column=Column(Text))
    port: int | None = None
    extra: str | None = Field(default=None, sa_column=Column(Text))
    is_encrypted: bool = False
    is_extra_encrypted: bool = False


class EventLog(ApiModel, table=True):
    """One change made through the API: who, what, when, from where. Written by the API
    itself, never changed or deleted through it."""

    __tablename__ = "event_log"
    __table_args__ = (Index("ix_event_log_dag_id_when", "dag_id", "dttm"),)
    id: int | None = Field(default=None, sa_column=Column(_BigId, Identity(), primary_key=True))
    dttm: datetime | None = _ts(nullable=False, index=True)
    event: str = Field(max_length=60, index=True)
    owner: str | None = Field(default=None, max_length=500)
    dag_id: str | None = Field(default=None, max_length=250)
    task_id: str | None = Field(default=None, max_length=250)
    run_id: str | None = Field(default=None, max_length=250)
    map_index: int | None = None
    try_number: int | None = None
    logical_date: datetime | None = _ts(nullable=True)
    extra: str | None = Field(default=None, sa_column=Column(Text))


class ImportError(ApiModel, table=True):  # noqa: A001  Airflow's name for the resource
    """A DAG spec that was refused, kept so people can see why (per DAG id)."""

    __tablename__ = "import_error"
    id: int | None = Field(default=None, sa_column=Column(_BigId, Identity(), primary_key=True))
    timestamp: datetime | None = _ts(nullable=False)
    filename: str = Field(max_length=1024)
    dag_id: str | None = Field(default=None, max_length=250, index=True)
    stacktrace: str = Field(sa_column=Column(Text, nullable=False))


metadata = ApiModel.metadata
