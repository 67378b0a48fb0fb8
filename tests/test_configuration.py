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
