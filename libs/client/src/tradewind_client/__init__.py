"""A Python client of Tradewind's public gRPC API (tradewind.v1).

`Tradewind` wraps the generated stub (`tradewind.v1.workflow_pb2_grpc`) in a few typed
calls; its answers are the generated messages (`tradewind.v1.workflow_pb2`), so every
field the API has is at hand. gRPC errors come back as `TradewindError` subclasses
carrying the server's message."""

from __future__ import annotations

from tradewind.v1.workflow_pb2 import Dag, DagRun, LogLine, TaskInstance
from tradewind_client.auth import PasswordAuth
from tradewind_client.client import Tradewind, run_state, task_state
from tradewind_client.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidArgumentError,
    NotFoundError,
    ResourceExhaustedError,
    TradewindError,
    UnavailableError,
)

__all__ = [
    "AlreadyExistsError",
    "ConflictError",
    "Dag",
    "DagRun",
    "InvalidArgumentError",
    "LogLine",
    "NotFoundError",
    "PasswordAuth",
    "ResourceExhaustedError",
    "TaskInstance",
    "Tradewind",
    "TradewindError",
    "UnavailableError",
    "run_state",
    "task_state",
]
