from __future__ import annotations

import socket

from pydantic import Field

from tradewind_core.settings import CommonSettings


class SchedulerSettings(CommonSettings):
    scheduler_sweep_interval: float = Field(
        default=5.0,
        gt=0,
        description="Seconds between sweeps that catch what events missed; events act at once.",
    )
    scheduler_redispatch_after: float = Field(
        default=30.0,
        gt=0,
        description="Queued task instances unseen by the dispatcher this long are sent again.",
    )
    scheduler_id: str = Field(default_factory=lambda: f"{socket.gethostname()}-scheduler")
