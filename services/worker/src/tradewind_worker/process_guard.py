"""Tasks never outlive their worker, even one killed by SIGKILL.

One guardian process per worker holds the read end of a pipe whose only writer is the
worker. The worker registers each task's process group on it when the task starts and
unregisters it when the task ends. When the worker dies, the kernel closes the pipe; the
guardian reads end-of-file and SIGKILLs every group still registered. It costs a line
written to a pipe per task, not a process.
"""

from __future__ import annotations

import os
import subprocess
import threading

from tradewind_core.logging import get_logger

log = get_logger(__name__)

_GUARDIAN = r"""
declare -A groups
while read -r op id; do
  if [ "$op" = "+" ]; then groups[$id]=1; else unset "groups[$id]"; fi
done
for id in "${!groups[@]}"; do kill -KILL -- "-$id" 2>/dev/null; done
"""


class ProcessGuard:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._guardian: subprocess.Popen[bytes] | None = None
        self._pipe: int | None = None
        self._groups: set[int] = set()

    def _ensure(self) -> int:
        if self._guardian is not None and self._guardian.poll() is None:
            assert self._pipe is not None
            return self._pipe
        if self._pipe is not None:
            os.close(self._pipe)
            log.warning("the task guardian exited; starting another")
        read, write = os.pipe()  # not inherited by tasks: os.pipe() is non-inheritable
        self._guardian = subprocess.Popen(
            ["bash", "-c", _GUARDIAN],
            stdin=read,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # no signal meant for the worker's group reaches it
        )
        os.close(read)
        self._pipe = write
        for group in self._groups:  # a new guardian learns the groups still running
            os.write(write, f"+ {group}\n".encode())
        return write

    def watch(self, group: int) -> None:
        with self._lock:
            self._groups.add(group)
            os.write(self._ensure(), f"+ {group}\n".encode())

    def release(self, group: int) -> None:
        with self._lock:
            self._groups.discard(group)
            if self._pipe is not None:
                try:
                    os.write(self._pipe, f"- {group}\n".encode())
                except OSError:  # guardian gone; the next watch starts another
                    pass


_guard: ProcessGuard | None = None


def process_guard() -> ProcessGuard:
    """The worker process's guard, started on first use."""
    global _guard
    if _guard is None:
        _guard = ProcessGuard()
    return _guard
