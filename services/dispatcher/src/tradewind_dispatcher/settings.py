from __future__ import annotations

from pydantic import Field

from tradewind_core.settings import CommonSettings


class DispatcherSettings(CommonSettings):
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
