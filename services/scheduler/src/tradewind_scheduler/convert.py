"""Table rows to their protobuf shapes."""

from __future__ import annotations

import json
from typing import Any

from tradewind.scheduler.v1 import scheduler_pb2
from tradewind_core.errors import InvalidArgument
from tradewind_core.timeutil import to_timestamp
from tradewind_scheduler.models import DagRun, TaskInstance, TaskInstanceHistory


def json_object(text: str, field: str) -> dict[str, Any]:
    """A JSON object carried as text in a request (a run's conf); empty text is {}."""
    try:
        value = json.loads(text) if text else {}
    except json.JSONDecodeError as exc:
        raise InvalidArgument(f"{field} is not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise InvalidArgument(f"{field} must be a JSON object")
    return value


def run_to_proto(run: DagRun) -> scheduler_pb2.DagRun:
    return scheduler_pb2.DagRun(
        dag_id=run.dag_id,
        dag_run_id=run.run_id,
        dag_version_id=run.dag_version_id,
        state=run.state,
        run_type=run.run_type,
        logical_date=to_timestamp(run.logical_date),
        queued_at=to_timestamp(run.queued_at),
        start_date=to_timestamp(run.start_date),
        end_date=to_timestamp(run.end_date),
        run_after=to_timestamp(run.run_after),
        conf_json=json.dumps(run.conf or {}),
        note=run.note or "",
        triggered_by=run.triggered_by,
        data_interval_start=to_timestamp(run.data_interval_start),
        data_interval_end=to_timestamp(run.data_interval_end),
    )


def ti_to_proto(
    ti: TaskInstance | TaskInstanceHistory, dag_version_id: str
) -> scheduler_pb2.TaskInstance:
    return scheduler_pb2.TaskInstance(
        id=ti.task_instance_id if isinstance(ti, TaskInstanceHistory) else ti.id,
        dag_id=ti.dag_id,
        dag_run_id=ti.run_id,
        task_id=ti.task_id,
        map_index=ti.map_index,
        state=ti.state or "",
        try_number=ti.try_number,
        max_tries=ti.max_tries,
        start_date=to_timestamp(ti.start_date),
        end_date=to_timestamp(ti.end_date),
        queued_when=to_timestamp(ti.queued_when),
        scheduled_when=to_timestamp(ti.scheduled_when),
        hostname=ti.hostname,
        pid=ti.pid or 0,
        queue=ti.queue,
        pool=ti.pool,
        pool_slots=ti.pool_slots,
        priority_weight=ti.priority_weight,
        operator=ti.operator,
        dag_version_id=dag_version_id,
        note=getattr(ti, "note", None) or "",
        failure_reason=ti.failure_reason or "",
    )
