"""DAGs' next scheduled runs, as the scheduler has worked them out: one call per page."""

from __future__ import annotations

from typing import Any

from tradewind.scheduler.v1 import schedules_pb2
from tradewind_api.clients import call
from tradewind_api.context import AppContext
from tradewind_api.schemas import DAGResponse
from tradewind_core.timeutil import from_timestamp

_FIELDS = (
    "next_dagrun_logical_date",
    "next_dagrun_data_interval_start",
    "next_dagrun_data_interval_end",
    "next_dagrun_run_after",
)


async def with_next_runs(ctx: AppContext, dags: list[DAGResponse]) -> list[DAGResponse]:
    """The DAG responses with Airflow's next_dagrun_* fields filled in."""
    if not dags:
        return dags
    request = schedules_pb2.GetDagSchedulesRequest(dag_ids=[d.dag_id for d in dags])
    reply = await call("scheduler", ctx.scheduler.schedules.GetDagSchedules(request, timeout=10))
    by_dag = {s.dag_id: s for s in reply.schedules}
    return [dag.model_copy(update=_fields(by_dag.get(dag.dag_id))) for dag in dags]


def _fields(schedule: schedules_pb2.DagSchedule | None) -> dict[str, Any]:
    if schedule is None:
        return {}
    return {name: from_timestamp(schedule, name) for name in _FIELDS}
