"""The api's tables: DAGs, their immutable versions (keyed by content hash), and tags."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


class ApiModel(SQLModel, registry=registry()):
    pass


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


metadata = ApiModel.metadata
