"""Running a service until SIGTERM or SIGINT, then stopping it cleanly."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable

Service = Callable[[asyncio.Event], Awaitable[None]]


async def sleep_unless_stopped(stop: asyncio.Event, seconds: float) -> bool:
    """The pause of a periodic loop: returns after `seconds`, or at once when `stop` is
    set; True when stopping."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True


class StopSignal(asyncio.Event):
    """Set by the first signal: finish the work in hand. `urgent` is set by the second:
    stop the work in hand too."""

    def __init__(self) -> None:
        super().__init__()
        self.urgent = asyncio.Event()

    def signal(self) -> None:
        if self.is_set():
            self.urgent.set()
        self.set()


async def serve_until_signalled(*services: Service) -> None:
    """Runs the services side by side; the first signal sets `stop` for them all, and
    each finishes its work in hand before returning; a second signal sets `stop.urgent`."""
    stop = StopSignal()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.signal)
    tasks = [asyncio.create_task(service(stop)) for service in services]
    try:
        # If one service fails, stop the others rather than run half a system.
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                stop.set()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise task.exception()  # type: ignore[misc]
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
