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
        ("scheduler", "TRADEWIND_INTERNAL_SECRET", "short", "at least 16 characters"),
        ("worker", "TRADEWIND_WORKER_TASK_USER", "no-such-user", "no user 'no-such-user'"),
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


@pytest.mark.parametrize("command", ["api", "scheduler", "dispatcher", "worker"])
def test_a_service_on_its_own_needs_the_internal_secret(tmp_path, command):
    env = {
        **{k: v for k, v in os.environ.items() if k != "TRADEWIND_INTERNAL_SECRET"},
        "TRADEWIND_HOME": str(tmp_path),
        "TRADEWIND_WORKER_RUN_TASKS_AS_ROOT": "true",
    }
    done = subprocess.run([TRADEWIND, command], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "TRADEWIND_INTERNAL_SECRET: required" in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="the worker refuses root only as root")
@pytest.mark.parametrize("command", ["worker", "standalone"])
def test_a_worker_running_as_root_will_not_run_tasks_as_root_unasked(tmp_path, command):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TRADEWIND_WORKER_")},
        "TRADEWIND_HOME": str(tmp_path),
        "TRADEWIND_INTERNAL_SECRET": "s" * 32,
    }
    done = subprocess.run([TRADEWIND, command], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "TRADEWIND_WORKER_TASK_USER" in done.stderr
    assert "the worker runs as root" in done.stderr
    assert "TRADEWIND_WORKER_RUN_TASKS_AS_ROOT=true" in done.stderr
