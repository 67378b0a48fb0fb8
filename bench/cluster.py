"""Tradewind as real processes for one benchmark mode: start, wait until healthy, stop.

Every process gets free ports and (distributed) its own PostgreSQL schemas and RabbitMQ
namespace, so the bench never collides with a dev instance or the test suite.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.errors import BenchError
from tradewind_core.local_ports import free_ports

REPO = Path(__file__).resolve().parent.parent
# The first user of every cluster the bench starts; the bench signs in as it.
ADMIN_PASSWORD = "bench-admin-password"


def api_auth() -> httpx.Auth:
    from tradewind_client import PasswordAuth

    return PasswordAuth("admin", ADMIN_PASSWORD)


def api_token(api_url: str) -> str:
    answer = httpx.post(
        f"{api_url}/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    answer.raise_for_status()
    return answer.json()["access_token"]


TRADEWIND = REPO / ".venv" / "bin" / "tradewind"
DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/tradewind"
BROKER_URL = "amqp://guest:guest@127.0.0.1:5672/"
HEALTH_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
COMPONENTS = ("metadatabase", "scheduler", "dispatcher", "workers")


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path


@dataclass
class Cluster:
    """One mode's processes. `services` lists (log name, tradewind command, extra env)."""

    mode: str
    workdir: Path
    env: dict[str, str]
    services: list[tuple[str, str, dict[str, str]]]
    api_url: str
    expected_workers: int
    schema_prefix: str | None = None
    broker_namespace: str | None = None
    processes: list[Process] = field(default_factory=list)

    @classmethod
    def create(cls, mode: str, workdir: Path) -> Cluster:
        api, api_grpc, scheduler, dispatcher = free_ports(4)
        # Start from the caller's environment minus any TRADEWIND_* setting, so a dev
        # instance's configuration in the shell cannot leak into the bench.
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEWIND_")}
        env |= {
            "TRADEWIND_HOME": str(workdir / "home"),
            "TRADEWIND_API_PORT": str(api),
            "TRADEWIND_API_GRPC_ADDRESS": f"127.0.0.1:{api_grpc}",
            "TRADEWIND_SCHEDULER_ADDRESS": f"127.0.0.1:{scheduler}",
            "TRADEWIND_DISPATCHER_ADDRESS": f"127.0.0.1:{dispatcher}",
            "TRADEWIND_LOG_LEVEL": "warning",
            "TRADEWIND_ADMIN_PASSWORD": ADMIN_PASSWORD,
        }
        api_url = f"http://127.0.0.1:{api}"
        if mode == "standalone":
            return cls(mode, workdir, env, [("standalone", "standalone", {})], api_url, 1)
        suffix = secrets.token_hex(4)
        prefix, namespace = f"bench{suffix}_", f"bench-{suffix}"
        env |= {
            "TRADEWIND_DATABASE_URL": DATABASE_URL,
            "TRADEWIND_BROKER_URL": BROKER_URL,
            "TRADEWIND_DATABASE_SCHEMA_PREFIX": prefix,
            "TRADEWIND_BROKER_NAMESPACE": namespace,
        }
        services = [
            ("api", "api", {}),
            ("scheduler", "scheduler", {}),
            ("dispatcher", "dispatcher", {}),
            ("worker-1", "worker", {"TRADEWIND_WORKER_ID": "bench-w1"}),
            ("worker-2", "worker", {"TRADEWIND_WORKER_ID": "bench-w2"}),
        ]
        return cls(mode, workdir, env, services, api_url, 2, prefix, namespace)

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> None:
        for name, command, extra in self.services:
            log = self.workdir / f"{name}.log"
            with log.open("wb") as out:
                popen = subprocess.Popen(
                    [str(TRADEWIND), command],
                    cwd=REPO,
                    env=self.env | extra,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    # Own process group: a Ctrl-C in the terminal reaches only the bench,
                    # which then stops the services in order; killpg reaches task children.
                    start_new_session=True,
                )
            self.processes.append(Process(name, popen, log))

    def wait_healthy(self, timeout: float = HEALTH_TIMEOUT_S) -> None:
        """Until every component is healthy and every worker has heartbeated: a fan-out
        measured while one worker is still connecting would understate distributed mode."""
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        with httpx.Client(base_url=self.api_url, timeout=5.0) as http:
            while time.monotonic() < deadline:
                self._fail_if_exited()
                try:
                    health = http.get("/api/v2/monitor/health").json()
                    last = str(health)
                    if all(health[c]["status"] == "healthy" for c in COMPONENTS) and (
                        health["workers"]["live_workers"] >= self.expected_workers
                    ):
                        return
                except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                    last = f"{type(exc).__name__}: {exc}"
                time.sleep(0.25)
        raise BenchError(
            f"not healthy after {timeout:.0f} s; last health: {last}\n" + self.log_tails()
        )

    def _fail_if_exited(self) -> None:
        for proc in self.processes:
            code = proc.popen.poll()
            if code is not None:
                raise BenchError(
                    f"`tradewind {proc.name}` exited with code {code} while starting\n"
                    + self.log_tails()
                )

    def stop(self) -> dict[str, int | None]:
        """SIGTERM to all at once (they shut down in parallel), SIGKILL to the process
        group of any still alive after STOP_TIMEOUT_S. Returns each exit code."""
        for proc in self.processes:
            if proc.popen.poll() is None:
                proc.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        codes: dict[str, int | None] = {}
        for proc in self.processes:
            try:
                codes[proc.name] = proc.popen.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.popen.pid, signal.SIGKILL)
                proc.popen.wait()
                codes[proc.name] = None  # None: had to be killed
        return codes

    # -- logs ------------------------------------------------------------------------

    def log_tails(self, lines: int = 25) -> str:
        parts = []
        for proc in self.processes:
            text = proc.log.read_text(errors="replace").splitlines()[-lines:]
            body = "\n".join(f"    {line}" for line in text) or "    (empty)"
            parts.append(f"--- {proc.name} ({proc.log}), last {lines} lines:\n{body}")
        return "\n".join(parts)

    def log_lines(self) -> dict[str, list[str]]:
        """What the services logged, minus standalone's start-up banner. At log level
        warning a healthy run logs nothing else, so each line is worth a look."""
        return {
            proc.name: [
                line
                for line in proc.log.read_text(errors="replace").splitlines()
                if line.strip() and not line.startswith("Tradewind standalone:")
            ]
            for proc in self.processes
        }
