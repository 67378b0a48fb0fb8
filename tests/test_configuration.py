"""Bad configuration stops a service at once, naming the setting, before it touches anything."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.e2e.harness import TRADEWIND


@pytest.mark.parametrize(
    ("command", "setting", "value", "words"),
    [
        ("worker", "TRADEWIND_WORKER_CONCURRENCY", "0", "greater than or equal to 1"),
        ("worker", "TRADEWIND_WORKER_QUEUES", " , ", "name at least one queue"),
        ("scheduler", "TRADEWIND_SCHEDULER_ADDRESS", "no-port-here", "expected host:port"),
        ("api", "TRADEWIND_DATABASE_URL", "mysql://x/y", "expected postgresql+asyncpg://"),
        ("dispatcher", "TRADEWIND_BROKER_URL", "kafka://x", "expected amqp://"),
        ("standalone", "TRADEWIND_LOG_LEVEL", "chatty", "TRADEWIND_LOG_LEVEL"),
    ],
)
def test_bad_configuration_is_named_and_refused(tmp_path, command, setting, value, words):
    env = {**os.environ, "TRADEWIND_HOME": str(tmp_path), setting: value}
    done = subprocess.run([TRADEWIND, command], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Invalid configuration" in done.stderr and setting in done.stderr
    assert words in done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing was created


@pytest.mark.parametrize(
    ("command", "setting"),
    [
        ("scheduler", "TRADEWIND_SCHEDULER_ADDRESS"),
        ("dispatcher", "TRADEWIND_DISPATCHER_ADDRESS"),
        ("api", "TRADEWIND_API_GRPC_ADDRESS"),
        ("api", "TRADEWIND_API_PORT"),
    ],
)
def test_a_port_already_taken_is_refused_by_name(tmp_path, service_ports, command, setting):
    """No silent sharing of a port (SO_REUSEPORT would split calls between two processes):
    the second server stops at start-up with one line naming the port and the setting."""
    import socket

    env = {
        **os.environ,
        "TRADEWIND_HOME": str(tmp_path),
        **{f"TRADEWIND_{k.upper()}": v for k, v in service_ports.items()},
    }
    taken = env[setting].rsplit(":", 1)[-1]
    with socket.socket() as holder:
        # The way another server holds a port: bound with SO_REUSEPORT, listening.
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(("127.0.0.1", int(taken)))
        holder.listen()
        done = subprocess.run(
            [TRADEWIND, command], env=env, capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 1, done.stderr
    line = next(ln for ln in done.stderr.splitlines() if ln.startswith(f"tradewind {command}:"))
    assert f"127.0.0.1:{taken}" in line and setting in line
