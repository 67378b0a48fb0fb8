from __future__ import annotations

from pydantic import Field

from tradewind_core.settings import CommonSettings


class DispatcherSettings(CommonSettings):
    dispatcher_http_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="Port of the dispatcher's HTTP surface: /health/live, /health/ready, "
        "/metrics and introspection (0: not served; 8092 in the shipped deployments). "
        "Standalone serves it on the api's port under /services/dispatcher.",
    )
    dispatcher_sweep_interval: float = Field(default=5.0, gt=0)
    dispatcher_attempt_timeout: float = Field(
        default=30.0,
        gt=0,
        description="A running attempt whose worker has not heartbeated this long is failed.",
    )
    dispatcher_republish_after: float = Field(
        default=30.0,
        gt=0,
        description="An attempt whose message the broker has not confirmed this long is "
        "published again (a claim fences any duplicate): a crash between recording and "
        "publishing loses nothing.",
    )
    dispatcher_worker_timeout: float = Field(
        default=30.0, gt=0, description="A worker unheard of this long no longer counts as live."
    )
    xcom_max_bytes: int = Field(
        default=1024 * 1024,
        ge=1,
        le=16 * 1024 * 1024,
        description="Largest XCom value accepted (its JSON text, in bytes).",
    )
    code_bundle_cache_size: int = Field(
        default=64, ge=0, le=10_000, description="Code bundles kept in memory for workers."
    )
    task_log_max_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=1024,
        le=1024 * 1024 * 1024,
        description="Most log text kept per try; workers cut the rest and say so.",
    )
