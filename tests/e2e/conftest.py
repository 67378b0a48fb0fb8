"""The distributed deployment the end-to-end tests drive: api, scheduler, dispatcher and
two workers as separate processes, on PostgreSQL (a schema per service) and RabbitMQ."""

from __future__ import annotations

import pytest

from tests.e2e.harness import Deployment

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


def _settings(pg_database, schema_prefix, broker_namespace, service_ports) -> dict[str, str]:
    return {
        "database_url": pg_database,
        "database_schema_prefix": schema_prefix,
        "broker_url": AMQP_URL,
        "broker_namespace": broker_namespace,
        # Short enough for the recovery tests to finish quickly. A restarted dispatcher
        # is back well within the lease; a killed worker's task is retried a few
        # seconds later.
        "dispatcher_attempt_timeout": "8",
        "dispatcher_republish_after": "2",
        "scheduler_sweep_interval": "0.5",
        "scheduler_redispatch_after": "2",
        "dispatcher_sweep_interval": "0.5",
        "worker_heartbeat_interval": "0.5",
        "worker_lease_timeout": "5",
        "worker_kill_grace": "1",
        **service_ports,
    }


async def _deployment(tmp_path, settings: dict[str, str], workers: int):
    """api, scheduler, dispatcher and `workers` workers; every process must exit 0."""
    deployment = Deployment(tmp_path, settings)
    for service in ("api", "scheduler", "dispatcher"):
        deployment.start(service, service)
    for n in range(1, workers + 1):
        deployment.start(f"worker-{n}", "worker", worker_id=f"worker-{n}")
    try:
        health = await deployment.wait_healthy(workers=workers)
        assert health["workers"]["live_workers"] == workers
        yield deployment
    finally:
        codes = deployment.stop_all()
    assert set(codes.values()) == {0}, f"{codes}\n{deployment.logs()}"


@pytest.fixture
async def distributed(tmp_path, service_ports, pg_database, schema_prefix, broker_namespace):
    settings = _settings(pg_database, schema_prefix, broker_namespace, service_ports)
    async for deployment in _deployment(tmp_path, settings, workers=2):
        yield deployment


@pytest.fixture
async def services_only(tmp_path, service_ports, pg_database, schema_prefix, broker_namespace):
    """api, scheduler and dispatcher; each test starts the workers it needs."""
    settings = _settings(pg_database, schema_prefix, broker_namespace, service_ports)
    async for deployment in _deployment(tmp_path, settings, workers=0):
        yield deployment


@pytest.fixture
async def distributed_patient(
    tmp_path, service_ports, pg_database, schema_prefix, broker_namespace
):
    """As `distributed` with one worker, but a silent worker's attempt is given away only
    after 120 s: whatever happens to it sooner, its lease running out did not do."""
    settings = _settings(pg_database, schema_prefix, broker_namespace, service_ports)
    settings["dispatcher_attempt_timeout"] = "120"
    async for deployment in _deployment(tmp_path, settings, workers=1):
        yield deployment
