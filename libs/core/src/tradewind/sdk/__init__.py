"""What a python task's own code may use while it runs: XCom, its context, and a way to
say "skip me". It talks to the worker that runs the task (never to a database), and
imports nothing heavy, so a task starts fast.

    from tradewind.sdk import TaskSkipped, xcom_pull, xcom_push

    def transform(limit):
        rows = xcom_pull(task_ids="extract")
        if not rows:
            raise TaskSkipped("nothing to transform")
        xcom_push("row_count", len(rows))
        return rows[: int(limit)]  # becomes the `return_value` XCom
"""

from __future__ import annotations

import json
import socket
from typing import Any

__all__ = [
    "AirflowSkipException",
    "TaskSkipped",
    "XComError",
    "get_current_context",
    "xcom_pull",
    "xcom_push",
]


class TaskSkipped(Exception):
    """Raised by a python task to end as `skipped` rather than `failed`."""


# The name Airflow users know, for code written for Airflow's PythonOperator.
AirflowSkipException = TaskSkipped


class XComError(RuntimeError):
    """An XCom could not be stored or read (too large, not JSON, the worker unreachable)."""


class _TaskApi:
    """One connection to the worker's task API, opened on first use."""

    def __init__(self, path: str, token: str, context: dict[str, Any]) -> None:
        self.path, self.token, self.context = path, token, context
        self._sock: socket.socket | None = None
        self._reader: Any = None

    def call(self, op: str, **fields: Any) -> Any:
        if self._sock is None:
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._sock.connect(self.path)
            self._reader = self._sock.makefile("rb")
        self._sock.sendall(json.dumps({"token": self.token, "op": op, **fields}).encode() + b"\n")
        line = self._reader.readline()
        if not line:
            raise XComError("the worker closed the task API connection")
        reply = json.loads(line)
        if "error" in reply:
            raise XComError(reply["error"])
        return reply.get("value")


_api: _TaskApi | None = None


def _connect(path: str, token: str, context: dict[str, Any]) -> None:
    """Called by the task runtime before the task's callable runs."""
    global _api
    _api = _TaskApi(path, token, context)


def _current() -> _TaskApi:
    if _api is None:
        raise XComError("no task is running in this process (the task API is only for tasks)")
    return _api


def get_current_context() -> dict[str, Any]:
    """The task's template context: ds, run_id, params, dag_run, ti, and the rest."""
    return _current().context


def xcom_push(key: str, value: Any) -> None:
    """Stores a JSON value under `key` for this task instance."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise XComError(f"XCom {key!r} is not JSON-serialisable: {exc}") from None
    _current().call("xcom_push", key=key, value_json=text)


def xcom_pull(
    task_ids: str | list[str] | None = None, key: str = "return_value", map_index: int = -1
) -> Any:
    """The value `task_ids` stored under `key` in this DAG run (None if none was); a list
    of values for a list of task ids. Without task_ids: this task's upstream tasks."""
    api = _current()
    ids = api.context.get("task", {}).get("upstream", []) if task_ids is None else task_ids
    many = not isinstance(ids, str)
    wanted = list(ids) if many else [ids]
    found = api.call("xcom_pull", refs=[[t, key, map_index] for t in wanted])
    values = [json.loads(found[t]) if t in found else None for t in wanted]
    return values if many else values[0]
