from __future__ import annotations

import os
import socket
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from tradewind_core.settings import CommonSettings


class WorkerSettings(CommonSettings):
    worker_id: str = Field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    worker_queues: Annotated[list[str], NoDecode] = Field(
        default=["default"], description="Comma-separated worker queues to consume."
    )
    worker_concurrency: int = Field(default=16, ge=1, le=1024)
    worker_heartbeat_interval: float = Field(default=5.0, gt=0)
    worker_log_flush_interval: float = Field(default=0.5, gt=0)
    worker_shutdown_grace: float = Field(
        default=60.0, ge=0, description="On SIGTERM, how long running tasks may take to finish."
    )

    @field_validator("worker_queues", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [q.strip() for q in value.split(",") if q.strip()]
        return value

    @field_validator("worker_queues")
    @classmethod
    def _some_queue(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name at least one queue")
        return value
