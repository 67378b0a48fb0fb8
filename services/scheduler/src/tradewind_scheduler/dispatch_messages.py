"""What the dispatcher receives for a queued task instance: the task and its template
context (Airflow's names for what `{{ ... }}` can use)."""

from __future__ import annotations

import json
from datetime import datetime

from tradewind.dispatch.v1 import dispatch_pb2
from tradewind_core.spec import DagSpec, TaskSpec
from tradewind_core.timeutil import as_utc, utcnow
from tradewind_scheduler.models import DagRun, TaskInstance


def dispatch_message(
    run: DagRun, spec: DagSpec, task: TaskSpec, ti: TaskInstance
) -> dispatch_pb2.TaskDispatch:
    return dispatch_pb2.TaskDispatch(
        task_instance_id=ti.id,
        try_number=ti.try_number,
        dag_id=run.dag_id,
        dag_run_id=run.run_id,
        task_id=ti.task_id,
        map_index=ti.map_index,
        queue=ti.queue,
        priority_weight=ti.priority_weight,
        task_json=task.model_dump_json(),
        context_json=json.dumps(template_context(run, spec, ti), default=str),
    )


def template_context(run: DagRun, spec: DagSpec, ti: TaskInstance) -> dict[str, object]:
    """What `{{ ... }}` in a task's fields can use (Airflow's names)."""
    when = as_utc(run.logical_date) or as_utc(run.run_after) or utcnow()
    params = {**spec.param_defaults(), **(run.conf or {})}
    task_instance = {"task_id": ti.task_id, "try_number": ti.try_number, "map_index": ti.map_index}
    return {
        "dag_id": run.dag_id,
        "run_id": run.run_id,
        "ds": when.strftime("%Y-%m-%d"),
        "ds_nodash": when.strftime("%Y%m%d"),
        "ts": when.isoformat(),
        "ts_nodash": when.strftime("%Y%m%dT%H%M%S"),
        "logical_date": as_utc(run.logical_date).isoformat() if run.logical_date else None,
        "data_interval_start": _iso(run.data_interval_start),
        "data_interval_end": _iso(run.data_interval_end),
        "params": params,
        "dag": {"dag_id": run.dag_id},
        "task": {"task_id": ti.task_id},
        "dag_run": {
            "run_id": run.run_id,
            "run_type": run.run_type,
            "conf": run.conf or {},
            "logical_date": as_utc(run.logical_date).isoformat() if run.logical_date else None,
        },
        "task_instance": task_instance,
        "ti": task_instance,
    }


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value else None
