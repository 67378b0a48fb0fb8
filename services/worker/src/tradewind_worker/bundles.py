"""Code bundles on the worker's disk: fetched once per content hash through the
dispatcher, checked against the hash, written atomically, and then only read. A
directory named for the hash never changes, so tasks may import from it concurrently."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

import grpc

from tradewind_core.logging import get_logger
from tradewind_core.spec import bundle_hash
from tradewind_worker.client import ExecutionClient

log = get_logger(__name__)
FETCH_TRIES = 5  # 0.5 + 1 + 2 + 4 s of waiting at most


class BundleError(Exception):
    pass


class BundleCache:
    def __init__(self, client: ExecutionClient, root: Path) -> None:
        self._client = client
        self._root = root
        self._locks: dict[str, asyncio.Lock] = {}

    async def path(self, code_hash: str) -> Path:
        """The folder to put on sys.path for the bundle with this hash."""
        target = self._root / code_hash
        if target.is_dir():
            return target
        async with self._locks.setdefault(code_hash, asyncio.Lock()):
            if not target.is_dir():
                files = await self._fetch(code_hash)
                if bundle_hash(files) != code_hash:
                    raise BundleError(f"the code bundle fetched for {code_hash} has another hash")
                await asyncio.to_thread(_write, self._root, code_hash, files)
        self._locks.pop(code_hash, None)
        return target

    async def _fetch(self, code_hash: str) -> dict[str, str]:
        """Rides out a short outage of the dispatcher or the api (FETCH_TRIES, backing off)
        rather than failing the try at once; a missing bundle fails at once."""
        delay = 0.5
        for attempt in range(FETCH_TRIES):
            try:
                return await self._client.code_bundle(code_hash)
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.UNAVAILABLE or attempt == FETCH_TRIES - 1:
                    raise
                log.warning("cannot fetch a code bundle; retrying", error=exc.details())
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")


def _write(root: Path, code_hash: str, files: dict[str, str]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{code_hash[:12]}-", dir=root))
    try:
        for relative, source in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(source)
        os.rename(staging, root / code_hash)  # atomic: readers see all of it or none
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not (root / code_hash).is_dir():  # another worker on this host won the race
            raise
