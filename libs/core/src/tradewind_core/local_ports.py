"""Free loopback ports for processes started side by side on one machine (tests,
benchmarks).

A port the kernel hands out for `bind(0)` comes from its ephemeral range, the same range
outgoing connections draw their local ports from: between choosing such a port and the
server's bind, a connection to PostgreSQL, RabbitMQ or a peer can take it, and the server
then refuses to start. Ports below that range are never taken by outgoing connections."""

from __future__ import annotations

import random
import socket
from pathlib import Path

_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_DEFAULT_EPHEMERAL_LOW = 32768
# How far below the ephemeral range to look: wide enough that chosen ports rarely meet.
_SPAN = 12_000
_handed_out: set[int] = set()


def _ephemeral_low() -> int:
    try:
        return int(_RANGE_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return _DEFAULT_EPHEMERAL_LOW


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> list[int]:
    """`count` distinct ports, free now, that no outgoing connection will take, and never
    handed out before by this process."""
    high = _ephemeral_low() - 1
    low = max(1024, high - _SPAN)
    chosen: list[int] = []
    for _ in range(100 * count + 1000):
        if len(chosen) == count:
            return chosen
        port = random.randint(low, high)
        if port in _handed_out or not _bindable(port):
            continue
        _handed_out.add(port)
        chosen.append(port)
    raise OSError(f"no free port found between {low} and {high}")


def free_port() -> int:
    return free_ports(1)[0]
