from __future__ import annotations

from pydantic import Field

from tradewind_core.settings import CommonSettings


class ApiSettings(CommonSettings):
    api_host: str = Field(default="127.0.0.1", description="Interface the REST API binds.")
    api_port: int = Field(default=8080, ge=1, le=65535)
    api_scheduler_heartbeat_timeout: float = Field(
        default=30.0, gt=0, description="A scheduler heartbeat older than this is unhealthy."
    )
