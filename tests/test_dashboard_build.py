"""The dashboard's committed typed client and build match its sources and the api's
openapi.json (like the gRPC stubs), and its component tests pass."""

from __future__ import annotations

import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "dashboard.sh"


def _run(step: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), step], capture_output=True, text=True, timeout=600, check=False
    )


def test_committed_client_and_build_are_current():
    done = _run("check")
    assert done.returncode == 0, done.stdout + done.stderr


def test_component_tests_pass():
    done = _run("test")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "failed" not in done.stdout.lower(), done.stdout
