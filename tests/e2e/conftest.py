"""The distributed deployment the end-to-end tests drive: api, scheduler, dispatcher and
two workers as separate processes, on PostgreSQL (a schema per service) and RabbitMQ."""

from __future__ import annotations

import pytest

from tests.e2e.harness import Deployment


@pytest.fixture
async def distributed(tmp_path, service_ports, pg_database, schema_prefix, broker_namespace):
    deployment = Deployment(
        tmp_path,
        {
            "database_url": pg_database,
            "database_schema_prefix": schema_prefix,
            "broker_url": "amqp://guest:guest@127.0.0.1:5672/",
            "broker_namespace": broker_namespace,
            # Short enough for the recovery tests to finish quickly.
            "dispatcher_attempt_timeout": "3",
            "dispatcher_republish_after": "2",
            "scheduler_sweep_interval": "0.5",
            "scheduler_redispatch_after": "2",
            "dispatcher_sweep_interval": "0.5",
            "worker_heartbeat_interval": "0.5",
            **service_ports,
        },
    )
    for service in ("api", "scheduler", "dispatcher"):
        deployment.start(service, service)
    deployment.start("worker-1", "worker", worker_id="worker-1")
    deployment.start("worker-2", "worker", worker_id="worker-2")
    try:
        health = await deployment.wait_healthy(workers=2)
        assert health["workers"]["live_workers"] == 2
        yield deployment
    finally:
        codes = deployment.stop_all()
    assert set(codes.values()) == {0}, f"{codes}\n{deployment.logs()}"
