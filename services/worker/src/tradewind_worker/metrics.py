"""The worker's Prometheus metrics, served at /metrics of its HTTP surface
(http_surface.py)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from tradewind_core.logging import get_logger

log = get_logger(__name__)
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600)


class WorkerMetrics:
    def __init__(self, *, slots: int, slots_in_use: Callable[[], int]) -> None:
        # A registry of its own: the process's default one may hold other workers' metrics.
        self.registry = CollectorRegistry()
        Gauge(
            "tradewind_worker_slots", "Tasks this worker runs at once.", registry=self.registry
        ).set(slots)
        Gauge(
            "tradewind_worker_slots_in_use", "Tasks this worker runs now.", registry=self.registry
        ).set_function(slots_in_use)
        self._started = Counter(
            "tradewind_worker_tasks_started",
            "Tasks started, by operator.",
            ["operator"],
            registry=self.registry,
        )
        self._finished = Counter(
            "tradewind_worker_tasks_finished",
            "Tasks finished, by operator and outcome (success, failed, skipped).",
            ["operator", "outcome"],
            registry=self.registry,
        )
        self._duration = Histogram(
            "tradewind_worker_task_duration_seconds",
            "From a task's start to its outcome, by operator.",
            ["operator"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )

    def started(self, operator: str) -> None:
        self._started.labels(operator).inc()

    def finished(self, operator: str, outcome: str, seconds: float) -> None:
        self._finished.labels(operator, outcome).inc()
        self._duration.labels(operator).observe(seconds)
