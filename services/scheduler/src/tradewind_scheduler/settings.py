from __future__ import annotations

import socket

from pydantic import Field

from tradewind_core.queueing import SECONDS_PER_WEIGHT
from tradewind_core.settings import CommonSettings


class SchedulerSettings(CommonSettings):
    scheduler_http_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="Port of the scheduler's HTTP surface: /health/live, /health/ready, "
        "/metrics and introspection (0: not served; 8091 in the shipped deployments). "
        "Standalone serves it on the api's port under /services/scheduler.",
    )
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
    scheduler_max_dagruns_per_loop: int = Field(
        default=20,
        ge=1,
        le=10_000,
        description=(
            "Runs the periodic sweep looks at per pass, for each thing it looks for (queued "
            "runs to start, running runs nothing will wake, runs set aside, retries due); "
            "the next pass goes on where this one stopped."
        ),
    )
    scheduler_priority_weight_seconds: float = Field(
        default=SECONDS_PER_WEIGHT,
        gt=0,
        le=86_400,
        description=(
            "Seconds of waiting one unit of priority_weight is worth in a pool's queue: a "
            "lighter task that has waited long enough goes before a heavier newcomer, so "
            "none starves."
        ),
    )
    task_queued_timeout: float = Field(
        default=600.0,
        gt=0,
        description=(
            "Seconds a task instance may stay queued without starting; past that its try "
            "fails with that reason (and is retried if it has tries left)."
        ),
    )
