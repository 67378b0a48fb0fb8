"""Configuration shared by every service: one `TRADEWIND_` namespace, laptop defaults.

Each service builds its own settings class on `CommonSettings`, adding only what it alone
reads. Every service knows every other's gRPC address, because the contracts between them
are calls, never shared tables.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tradewind_core.internal_auth import check_strength


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRADEWIND_", extra="ignore")

    home: Path = Field(
        default=Path("~/tradewind"),
        description="Where standalone mode keeps its SQLite files.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy async URL of the metadata database, e.g. "
            "postgresql+asyncpg://postgres@127.0.0.1:5432/tradewind. Each service keeps its "
            "tables in its own schema there. Unset: one SQLite file per service under home."
        ),
    )
    database_schema_prefix: str = Field(
        default="",
        pattern=r"^[a-z0-9_]{0,40}$",
        description="Prefix of each service's PostgreSQL schema name (isolates test runs).",
    )
    broker_url: str = Field(
        default="amqp://guest:guest@127.0.0.1:5672/",
        description="RabbitMQ URL, or memory:// for the in-process broker of standalone mode.",
    )
    broker_namespace: str = Field(
        default="tradewind",
        pattern=r"^[A-Za-z0-9_.-]{1,100}$",
        description="Prefix of every exchange and queue name, so deployments can share a broker.",
    )
    grpc_listen_host: str = Field(
        default="127.0.0.1", description="Interface the gRPC servers bind (0.0.0.0 in containers)."
    )
    http_listen_host: str = Field(
        default="127.0.0.1",
        description="Interface the scheduler's, dispatcher's and worker's HTTP surfaces "
        "(health, metrics, introspection) bind (0.0.0.0 in containers).",
    )
    api_grpc_address: str = "127.0.0.1:50051"
    scheduler_address: str = "127.0.0.1:50052"
    dispatcher_address: str = "127.0.0.1:50053"
    internal_secret: SecretStr | None = Field(
        default=None,
        description=(
            "The secret the services authenticate each other with over gRPC: the same "
            "value for the api, scheduler, dispatcher and every worker of a deployment "
            "(at least 16 characters, e.g. `openssl rand -hex 32`). Required by each "
            "service started on its own; standalone generates one when unset. Never "
            "logged, and never passed to tasks."
        ),
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["console", "json"] = "console"

    @field_validator("home")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("internal_secret")
    @classmethod
    def _strong_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_strength(value.get_secret_value())
        return value

    @field_validator("api_grpc_address", "scheduler_address", "dispatcher_address")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        if value.startswith(("unix:/", "unix-abstract:")) and len(value) > len("unix:/"):
            return value
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"expected host:port or unix:/path, got {value!r}")
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str | None) -> str | None:
        if value and not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError(
                "expected postgresql+asyncpg://... or sqlite+aiosqlite://..., got "
                f"{value.split('://')[0]}://..."
            )
        return value

    @field_validator("broker_url")
    @classmethod
    def _supported_broker(cls, value: str) -> str:
        if not value.startswith(("amqp://", "amqps://", "memory://")):
            raise ValueError("expected amqp://..., amqps://... or memory://")
        return value

    def database_url_for(self, service: str) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.home / (service + '.db')}"

    def schema_for(self, service: str) -> str:
        return f"{self.database_schema_prefix}{service}"

    def listen_address(self, address: str) -> str:
        """Where a server for `address` binds: its port on `grpc_listen_host`, or the same
        Unix socket (standalone keeps its internal services off the network)."""
        if address.startswith("unix"):
            return address
        return f"{self.grpc_listen_host}:{address.rpartition(':')[2]}"


def local_socket_address(home: Path, service: str) -> str:
    """A Unix socket under `home` for one internal service; an abstract socket named after
    `home` when the path would pass the 107-byte limit of socket paths."""
    path = home / "run" / f"{service}.sock"
    if len(str(path)) <= 100:
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"unix:{path}"
    digest = hashlib.sha256(str(home).encode()).hexdigest()[:16]
    return f"unix-abstract:tradewind-{digest}-{service}"
