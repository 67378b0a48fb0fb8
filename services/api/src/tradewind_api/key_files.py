"""Keys kept under TRADEWIND_HOME when none is configured (standalone): made once, by
exactly one process, readable by their owner only."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def key_from_home(home: Path, name: str, make: Callable[[], str]) -> str:
    path = home / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    home.mkdir(parents=True, exist_ok=True)
    key = make()
    # Created exclusively: if another process won the race, its key is the one.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")
    return key
