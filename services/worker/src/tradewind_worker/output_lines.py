"""Splits a task's raw output into lines without trusting it: a line of any length, or
output with no newline at all, is cut into pieces of at most MAX_LINE_BYTES, so one
huge line can neither exhaust memory nor stall the reader (a stalled reader once
leaked a worker slot)."""

from __future__ import annotations

MAX_LINE_BYTES = 64 * 1024
READ_BYTES = 64 * 1024


class LineSplitter:
    def __init__(self, max_line: int = MAX_LINE_BYTES) -> None:
        self._pending = bytearray()
        self._max = max_line

    def feed(self, chunk: bytes) -> list[str]:
        self._pending += chunk
        lines = []
        while True:
            end = self._pending.find(b"\n", 0, self._max)
            if end >= 0:
                cut = end + 1
            elif len(self._pending) >= self._max:
                cut = self._max  # an overlong line goes out in pieces
            else:
                break
            lines.append(self._pending[:cut].decode(errors="replace"))
            del self._pending[:cut]
        return lines

    def close(self) -> list[str]:
        rest, self._pending = self._pending, bytearray()
        return [rest.decode(errors="replace")] if rest else []
