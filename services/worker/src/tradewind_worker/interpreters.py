"""Python interpreters started ahead of time, so a python task starts without paying
for an interpreter and its imports: each spare has already imported what the worker was
told to preload and waits for one task on stdin. Every task gets a process of its own
(its own process group, killable as a whole), used once and never reused."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from tradewind_core.logging import get_logger
from tradewind_worker.task_user import TaskUser

log = get_logger(__name__)
Process = asyncio.subprocess.Process


def task_process_environment() -> dict[str, str]:
    """The worker's environment less Tradewind's own settings (URLs with passwords)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("TRADEWIND_")}


class Interpreters:
    def __init__(
        self,
        *,
        spares: int,
        preload: list[str],
        cwd: Path,
        env: Mapping[str, str] | None = None,
        as_user: TaskUser | None = None,
    ) -> None:
        self._spares = spares
        # What the task processes may see of the worker's environment.
        self._env = dict(env) if env is not None else task_process_environment()
        self._as_user = as_user
        if as_user is not None:
            self._env.update(as_user.environment())
        self._preload = preload
        self._cwd = cwd
        self._ready: list[Process] = []
        self._starting = 0
        self._closed = False

    def start(self) -> None:
        """Starts the spares, so even the first python task finds one waiting."""
        self._top_up()

    async def take(self) -> Process:
        """A process waiting for its task; a fresh one if no spare is ready."""
        while self._ready:
            process = self._ready.pop(0)
            if process.returncode is None:
                self._top_up()
                return process
        self._top_up()
        return await self._start()

    def _top_up(self) -> None:
        missing = self._spares - len(self._ready) - self._starting
        for _ in range(max(0, missing)):
            self._starting += 1
            asyncio.get_running_loop().create_task(self._start_spare())

    async def _start_spare(self) -> None:
        try:
            process = await self._start()
        except OSError as exc:
            log.warning("cannot start a spare python interpreter", error=str(exc))
            return
        finally:
            self._starting -= 1
        if self._closed:
            await _discard(process)
        else:
            self._ready.append(process)

    async def _start(self) -> Process:
        self._cwd.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "tradewind_worker.task_process", *self._preload]
        if self._as_user is not None:
            argv = self._as_user.command(argv)
        return await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=self._cwd,
            env=self._env,
            start_new_session=True,  # its own process group, so a stop reaches its children
        )

    async def close(self) -> None:
        self._closed = True
        spares, self._ready = self._ready, []
        await asyncio.gather(*(_discard(p) for p in spares))


async def _discard(process: Process) -> None:
    """A spare never given a task: closing its stdin tells it to exit."""
    if process.stdin is not None:
        process.stdin.close()
    try:
        await asyncio.wait_for(process.wait(), 5)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
