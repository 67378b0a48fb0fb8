"""Ships a task's log to the dispatcher while it runs: each line stamped when it was
read, sent in batches every flush interval or as soon as a batch is full. A try's log is
capped: past the cap, lines are counted, not kept, and a note says how much was cut.
Memory stays bounded too, whatever the task prints and however long the dispatcher is
unreachable: nothing beyond the cap is ever held."""

from __future__ import annotations

import asyncio
import contextlib

import grpc

from tradewind.execution.v1 import task_logs_pb2
from tradewind_core.logging import get_logger
from tradewind_worker.client import ExecutionClient
from tradewind_worker.secrets_masker import SecretsMasker

log = get_logger(__name__)
BATCH_LINES = 5_000
BATCH_BYTES = 512 * 1024


class LogShipper:
    def __init__(
        self, client: ExecutionClient, attempt_id: str, token: str, *, max_bytes: int
    ) -> None:
        self._client = client
        self._attempt_id = attempt_id
        self._token = token
        self._max_bytes = max_bytes
        self._lines: list[task_logs_pb2.LogLine] = []
        self._buffered_bytes = 0
        self._kept_bytes = 0
        self._cut_lines = 0
        self._cut_bytes = 0
        self._batch = 0
        # A batch sent but not acknowledged: sent again, under the same number.
        self._unsent: tuple[int, list[task_logs_pb2.LogLine]] | None = None
        self._full = asyncio.Event()
        self._sending = asyncio.Lock()
        # Set once the task's secrets are known; every line written is masked with it.
        self.masker = SecretsMasker()

    def output(self, text: str, stream: str) -> None:
        """A line the task wrote on `stream` (stdout or stderr)."""
        self.write(text, stream=stream)

    def write(self, text: str, level: str = "info", *, stream: str = "") -> None:
        text = self.masker.mask(text)
        size = len(text.encode())
        if self._cut_lines or self._kept_bytes + size > self._max_bytes:
            if not self._cut_lines:
                self._add(
                    f"[tradewind] the log of this try is cut here: it reached "
                    f"{self._max_bytes} bytes (TRADEWIND_TASK_LOG_MAX_BYTES)",
                    "warning",
                )
            self._cut_lines += 1
            self._cut_bytes += size
            return
        self._kept_bytes += size
        self._add(text.removesuffix("\n"), level, stream)

    def _add(self, event: str, level: str, stream: str = "") -> None:
        entry = task_logs_pb2.LogLine(level=level, event=event, stream=stream)
        entry.timestamp.GetCurrentTime()
        self._lines.append(entry)
        self._buffered_bytes += len(event) + 1
        if len(self._lines) >= BATCH_LINES or self._buffered_bytes >= BATCH_BYTES:
            self._full.set()

    def close(self) -> None:
        """Ends the log: says how much was cut, if anything was."""
        if self._cut_lines:
            self._add(
                f"[tradewind] {self._cut_lines} more lines ({self._cut_bytes} bytes) "
                "were cut from this log",
                "warning",
            )

    def _take_batch(self) -> list[task_logs_pb2.LogLine]:
        """The oldest lines, up to BATCH_LINES and about BATCH_BYTES (a line is at most
        64 KiB, so one message stays far below gRPC's limit)."""
        count, size = 0, 0
        for entry in self._lines[:BATCH_LINES]:
            if count and size + len(entry.event) + 1 > BATCH_BYTES:
                break
            count, size = count + 1, size + len(entry.event) + 1
        batch, self._lines = self._lines[:count], self._lines[count:]
        self._buffered_bytes -= size
        return batch

    async def run(self, interval: float) -> None:
        """Flushes every `interval` seconds, or at once when a batch is full."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), interval)
            self._full.clear()
            await self.flush()

    async def flush(self) -> bool:
        """Sends everything buffered; False if the dispatcher could not take it (kept)."""
        async with self._sending:
            while self._unsent is not None or self._lines:
                if self._unsent is None:
                    self._batch += 1
                    self._unsent = (self._batch, self._take_batch())
                batch, lines = self._unsent
                try:
                    await self._client.append_log_lines(self._attempt_id, self._token, batch, lines)
                except grpc.aio.AioRpcError as exc:
                    if exc.code() in (
                        grpc.StatusCode.FAILED_PRECONDITION,
                        grpc.StatusCode.PERMISSION_DENIED,
                        grpc.StatusCode.NOT_FOUND,
                        grpc.StatusCode.INVALID_ARGUMENT,
                    ):
                        self._unsent = None  # never to be accepted: drop, go on
                        log.warning("task log lines refused", why=exc.details())
                        continue
                    # Losing log lines must not lose the task; they go with the next flush.
                    log.warning("cannot ship task log", error=exc.details())
                    return False
                self._unsent = None
            return True
