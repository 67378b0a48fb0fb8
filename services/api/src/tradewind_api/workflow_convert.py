"""Between the REST shapes (what the api's code answers) and the public gRPC messages
(tradewind.v1), so both APIs give the same answers from the same code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.protobuf import json_format, struct_pb2, timestamp_pb2

from tradewind.v1 import workflow_pb2 as pb
from tradewind_api.schemas import (
    DAGResponse,
    DAGRunResponse,
    DagVersionResponse,
    TaskInstanceResponse,
)
from tradewind_core.errors import InvalidArgument


def _ts(value: datetime | None) -> timestamp_pb2.Timestamp | None:
    if value is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _set(**fields: Any) -> dict[str, Any]:
    """Constructor arguments without the unset ones (None is not a value in proto)."""
    return {k: v for k, v in fields.items() if v is not None}


def timestamp_field(message: Any, name: str) -> datetime | None:
    """An optional Timestamp field as an aware datetime; a value no date can hold is
    refused naming the field."""
    if not message.HasField(name):
        return None
    try:
        return getattr(message, name).ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        raise InvalidArgument(f"{name}: not a valid timestamp") from None


def struct_field(message: Any, name: str) -> dict[str, Any]:
    return json_format.MessageToDict(getattr(message, name)) if message.HasField(name) else {}


def version(value: DagVersionResponse | None) -> pb.DagVersion | None:
    if value is None:
        return None
    return pb.DagVersion(
        id=value.id, version_number=value.version_number, created_at=_ts(value.created_at)
    )


def dag(value: DAGResponse) -> pb.Dag:
    return pb.Dag(
        **_set(
            dag_id=value.dag_id,
            dag_display_name=value.dag_display_name,
            is_paused=value.is_paused,
            description=value.description,
            timetable_summary=value.timetable_summary,
            timetable_description=value.timetable_description,
            tags=[t.name for t in value.tags],
            max_active_tasks=value.max_active_tasks,
            max_active_runs=value.max_active_runs,
            owners=value.owners,
            last_parsed_time=_ts(value.last_parsed_time),
            latest_dag_version=version(value.latest_dag_version),
            next_dagrun_logical_date=_ts(value.next_dagrun_logical_date),
            next_dagrun_run_after=_ts(value.next_dagrun_run_after),
        )
    )


def dag_run(value: DAGRunResponse) -> pb.DagRun:
    conf = struct_pb2.Struct()
    conf.update(value.conf)
    return pb.DagRun(
        **_set(
            dag_id=value.dag_id,
            dag_run_id=value.dag_run_id,
            state=pb.DagRunState.Value(f"DAG_RUN_STATE_{value.state.upper()}"),
            run_type=value.run_type,
            logical_date=_ts(value.logical_date),
            queued_at=_ts(value.queued_at),
            start_date=_ts(value.start_date),
            end_date=_ts(value.end_date),
            run_after=_ts(value.run_after),
            data_interval_start=_ts(value.data_interval_start),
            data_interval_end=_ts(value.data_interval_end),
            duration=value.duration,
            triggered_by=value.triggered_by,
            conf=conf,
            note=value.note,
            dag_version=version(value.dag_versions[0]) if value.dag_versions else None,
        )
    )


def _ti_state(state: str | None) -> int:
    if not state:
        return pb.TASK_INSTANCE_STATE_UNSPECIFIED
    name = f"TASK_INSTANCE_STATE_{state.upper()}"
    # A state newer than this contract reads as "not known" rather than failing the call.
    return pb.TaskInstanceState.Value(name) if name in pb.TaskInstanceState.keys() else 0


def task_instance(value: TaskInstanceResponse) -> pb.TaskInstance:
    return pb.TaskInstance(
        **_set(
            id=value.id,
            dag_id=value.dag_id,
            dag_run_id=value.dag_run_id,
            task_id=value.task_id,
            map_index=value.map_index,
            state=_ti_state(value.state),
            try_number=value.try_number,
            max_tries=value.max_tries,
            start_date=_ts(value.start_date),
            end_date=_ts(value.end_date),
            duration=value.duration,
            queued_when=_ts(value.queued_when),
            scheduled_when=_ts(value.scheduled_when),
            hostname=value.hostname,
            pid=value.pid,
            pool=value.pool,
            pool_slots=value.pool_slots,
            queue=value.queue,
            priority_weight=value.priority_weight,
            operator=value.operator,
            operator_name=value.operator_name,
            note=value.note,
        )
    )
