"""The convenience client: connect, create a DAG, trigger a run, watch it, follow logs."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import grpc
from google.protobuf import struct_pb2, timestamp_pb2

from tradewind.v1 import workflow_pb2 as pb
from tradewind.v1 import workflow_pb2_grpc
from tradewind_client.auth import BearerInterceptor
from tradewind_client.errors import ResourceExhaustedError, UnavailableError, translated

DEFAULT_ADDRESS = "127.0.0.1:50051"


def run_state(run: pb.DagRun) -> str:
    """A run's state by Airflow's name: queued, running, success or failed."""
    return pb.DagRunState.Name(run.state).removeprefix("DAG_RUN_STATE_").lower()


def task_state(task_instance: pb.TaskInstance) -> str | None:
    """A task instance's state by Airflow's name; None while nothing is decided yet."""
    if task_instance.state == pb.TASK_INSTANCE_STATE_UNSPECIFIED:
        return None
    name = pb.TaskInstanceState.Name(task_instance.state)
    return name.removeprefix("TASK_INSTANCE_STATE_").lower()


def _timestamp(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


class Tradewind:
    """A connection to one Tradewind. Use as a context manager, or call `close()`."""

    def __init__(self, channel: grpc.Channel, *, timeout: float = 30.0) -> None:
        self._channel = channel
        self._timeout = timeout
        # The generated stub, for anything the convenience calls do not cover.
        self.stub = workflow_pb2_grpc.WorkflowServiceStub(channel)

    @classmethod
    def connect(
        cls, address: str = DEFAULT_ADDRESS, *, token: str, timeout: float = 30.0
    ) -> Tradewind:
        """`address` is TRADEWIND_API_GRPC_ADDRESS of the Tradewind to reach; `token` an
        access token (`POST /auth/token`) or an API token, sent with every call; `timeout`
        bounds each unary call (streams last as long as what they follow)."""
        channel = grpc.intercept_channel(grpc.insecure_channel(address), BearerInterceptor(token))
        return cls(channel, timeout=timeout)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> Tradewind:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- DAGs -----------------------------------------------------------------------

    def create_dag(self, spec: Mapping[str, Any] | str, *, yaml: bool = False) -> pb.Dag:
        """Stores a DAG spec (a mapping, or a JSON or YAML document) as the DAG's newest
        version; the same spec again stores nothing new."""
        text = spec if isinstance(spec, str) else json.dumps(spec)
        request = pb.CreateDagRequest(
            spec=text, format=pb.SPEC_FORMAT_YAML if yaml else pb.SPEC_FORMAT_JSON
        )
        with translated():
            return self.stub.CreateDag(request, timeout=self._timeout).dag

    def get_dag(self, dag_id: str) -> pb.Dag:
        with translated():
            return self.stub.GetDag(pb.GetDagRequest(dag_id=dag_id), timeout=self._timeout).dag

    # -- runs -----------------------------------------------------------------------

    def trigger(
        self,
        dag_id: str,
        *,
        dag_run_id: str = "",
        idempotency_key: str = "",
        conf: Mapping[str, Any] | None = None,
        logical_date: datetime | None = None,
        note: str = "",
    ) -> pb.DagRun:
        """Triggers a run. Safe to retry: with the same `dag_run_id` (and the same
        request), or the same `idempotency_key`, a retry answers the run the first call
        made."""
        struct = struct_pb2.Struct()
        struct.update(dict(conf or {}))
        request = pb.TriggerDagRunRequest(
            dag_id=dag_id,
            dag_run_id=dag_run_id,
            idempotency_key=idempotency_key,
            conf=struct,
            logical_date=_timestamp(logical_date),
            note=note,
        )
        with translated():
            return self.stub.TriggerDagRun(request, timeout=self._timeout).dag_run

    def get_run(self, dag_id: str, dag_run_id: str) -> pb.DagRun:
        request = pb.GetDagRunRequest(dag_id=dag_id, dag_run_id=dag_run_id)
        with translated():
            return self.stub.GetDagRun(request, timeout=self._timeout).dag_run

    def list_runs(self, dag_id: str, *, limit: int = 50, offset: int = 0) -> list[pb.DagRun]:
        request = pb.ListDagRunsRequest(dag_id=dag_id, limit=limit, offset=offset)
        with translated():
            return list(self.stub.ListDagRuns(request, timeout=self._timeout).dag_runs)

    def task_instances(self, dag_id: str, dag_run_id: str) -> list[pb.TaskInstance]:
        request = pb.ListTaskInstancesRequest(dag_id=dag_id, dag_run_id=dag_run_id)
        with translated():
            reply = self.stub.ListTaskInstances(request, timeout=self._timeout)
        return list(reply.task_instances)

    # -- following ------------------------------------------------------------------

    def watch(self, dag_id: str, dag_run_id: str) -> Iterator[pb.DagRun | pb.TaskInstance]:
        """The run and its task instances as they are now, then each change, until the
        run is final (its final state is the last item). A stream the server ends early
        (its lifetime limit, a reader too slow, an api restart) is watched again, which
        repeats the current state of each item once."""
        while True:
            received = False
            try:
                for item in self._watch_once(dag_id, dag_run_id):
                    received = True
                    yield item
                return
            except (UnavailableError, ResourceExhaustedError):
                if not received:  # nothing came through: not worth another try
                    raise

    def _watch_once(self, dag_id: str, dag_run_id: str) -> Iterator[pb.DagRun | pb.TaskInstance]:
        request = pb.WatchDagRunRequest(dag_id=dag_id, dag_run_id=dag_run_id)
        call = self.stub.WatchDagRun(request)
        try:
            with translated():
                for change in call:
                    yield change.dag_run if change.HasField("dag_run") else change.task_instance
        finally:
            call.cancel()  # a caller that stops early frees the stream at once

    def wait(self, dag_id: str, dag_run_id: str) -> pb.DagRun:
        """Blocks until the run is final; returns it."""
        final: pb.DagRun | None = None
        for item in self.watch(dag_id, dag_run_id):
            if isinstance(item, pb.DagRun):
                final = item
        assert final is not None, "a watch always carries the run"
        return final

    def stream_logs(
        self, dag_id: str, dag_run_id: str, task_id: str, *, try_number: int = 0
    ) -> Iterator[pb.LogLine]:
        """One try's log lines (the current try by default), as they are written, until
        the try is over."""
        request = pb.StreamTaskLogsRequest(
            dag_id=dag_id, dag_run_id=dag_run_id, task_id=task_id, try_number=try_number
        )
        call = self.stub.StreamTaskLogs(request)
        try:
            with translated():
                for page in call:
                    yield from page.lines
        finally:
            call.cancel()
