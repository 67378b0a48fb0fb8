"""The task API: what a python task's own code (tradewind.sdk) asks of the worker that
runs it, over a Unix socket in a folder only the worker's user can open. Each running
attempt gets a random token; the worker forwards the request to the dispatcher with the
attempt's fencing token, so a task can reach its own XComs and nothing else."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

import grpc

from tradewind_core.logging import get_logger
from tradewind_worker.client import ExecutionClient
from tradewind_worker.task_user import TaskUser

log = get_logger(__name__)
# One request line: an XCom value (bounded by the dispatcher) plus its envelope.
MAX_REQUEST_BYTES = 32 * 1024 * 1024


class TaskApi:
    def __init__(self, client: ExecutionClient, *, task_user: TaskUser | None = None) -> None:
        self._client = client
        self._task_user = task_user
        self._folder = Path(tempfile.mkdtemp(prefix="tradewind-task-api-"))
        self.path = str(self._folder / "api.sock")
        self._attempts: dict[str, tuple[str, str]] = {}
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_unix_server(
            self._serve, path=self.path, limit=MAX_REQUEST_BYTES
        )
        if self._task_user is not None:
            # Tasks run as another user: its group may reach the socket, and no one else.
            gid = self._task_user.gid
            os.chown(self._folder, -1, gid)
            os.chmod(self._folder, 0o710)
            os.chown(self.path, -1, gid)
            os.chmod(self.path, 0o660)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
        shutil.rmtree(self._folder, ignore_errors=True)

    def register(self, attempt_id: str, fencing_token: str) -> str:
        token = secrets.token_urlsafe(24)
        self._attempts[token] = (attempt_id, fencing_token)
        return token

    def unregister(self, token: str) -> None:
        self._attempts.pop(token, None)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                reply = await self._answer(line)
                writer.write(json.dumps(reply).encode() + b"\n")
                await writer.drain()
        except (ValueError, ConnectionError) as exc:  # an overlong line, a vanished task
            log.info("task API connection ended", why=str(exc))
        finally:
            writer.close()

    async def _answer(self, line: bytes) -> dict[str, Any]:
        try:
            request = json.loads(line)
            attempt_id, fencing_token = self._attempts[request["token"]]
        except (ValueError, KeyError, TypeError):
            return {"error": "not a request from a running task"}
        try:
            if request.get("op") == "xcom_push":
                await self._client.push_xcom(
                    attempt_id, fencing_token, str(request["key"]), str(request["value_json"])
                )
                return {"value": None}
            if request.get("op") == "xcom_pull":
                refs = [(str(t), str(k), int(m)) for t, k, m in request["refs"]]
                found = await self._client.pull_xcoms(attempt_id, fencing_token, refs)
                return {"value": {t: text for (t, _, _), text in found.items()}}
        except grpc.aio.AioRpcError as exc:
            return {"error": exc.details() or exc.code().name}
        except (KeyError, TypeError, ValueError) as exc:
            return {"error": f"malformed request: {exc}"}
        return {"error": f"unknown operation {request.get('op')!r}"}
