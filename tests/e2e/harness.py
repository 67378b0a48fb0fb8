"""Starts Tradewind the way a user does (the `tradewind` command, real processes) and talks
to it only through its REST API."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx

TRADEWIND = str(Path(sys.executable).parent / "tradewind")


class Deployment:
    def __init__(self, workdir: Path, settings: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = {**os.environ, **{f"TRADEWIND_{k.upper()}": v for k, v in settings.items()}}
        self.env.setdefault("TRADEWIND_LOG_LEVEL", "info")
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._commands: dict[str, tuple[str, dict[str, str]]] = {}
        self.base_url = f"http://127.0.0.1:{settings['api_port']}/api/v2"

    def start(self, name: str, command: str, **settings: str) -> None:
        self._commands[name] = (command, settings)
        env = {**self.env, **{f"TRADEWIND_{k.upper()}": v for k, v in settings.items()}}
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115  closed with the process
        self.processes[name] = subprocess.Popen(
            [TRADEWIND, command], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir
        )

    def logs(self) -> str:
        return "\n".join(
            f"===== {p.name} =====\n" + p.read_text(errors="replace")[-6000:]
            for p in sorted(self.workdir.glob("*.log"))
        )

    async def wait_healthy(self, timeout: float = 60.0, workers: int = 1) -> dict:
        deadline = time.monotonic() + timeout
        health: dict = {}
        async with httpx.AsyncClient(timeout=3) as client:
            while time.monotonic() < deadline:
                for name, proc in self.processes.items():
                    if proc.poll() is not None:
                        raise AssertionError(f"{name} exited with {proc.returncode}\n{self.logs()}")
                try:
                    health = (await client.get(f"{self.base_url}/monitor/health")).json()
                    if (
                        all(
                            part["status"] == "healthy"
                            for name, part in health.items()
                            # null: a component Tradewind does not have (the triggerer)
                            if (workers or name != "workers") and part["status"] is not None
                        )
                        and health["workers"]["live_workers"] >= workers
                    ):
                        return health
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"not healthy after {timeout}s: {health}\n{self.logs()}")

    def kill(self, name: str) -> None:
        """SIGKILL: the process gets no chance to finish anything (and is no longer part
        of the deployment until restarted)."""
        proc = self.processes.pop(name)
        proc.kill()
        proc.wait()

    def restart(self, name: str) -> None:
        command, settings = self._commands[name]
        self.start(name, command, **settings)

    def stop(self, name: str, timeout: float = 60.0) -> int:
        proc = self.processes.pop(name)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise AssertionError(
                    f"{name} ignored SIGTERM for {timeout}s\n{self.logs()}"
                ) from None
        return proc.returncode

    def stop_all(self) -> dict[str, int]:
        # Workers first, as an operator would drain them, then the services they report to.
        order = sorted(self.processes, key=lambda n: (not n.startswith("worker"), n))
        return {name: self.stop(name) for name in order}


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
