"""History for views that must stay fast on big DAGs: finished runs written straight into a
standalone's scheduler database, as if they had run (running 200,000 task instances for
real would take the test an hour; the view under test only reads them)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, select

from tradewind_scheduler.models import DagRun, TaskInstance


def finished_runs(
    home: Path, *, dag_id: str, dag_version_id: str, task_ids: list[str], runs: int
) -> None:
    engine = create_engine(f"sqlite:///{home / 'scheduler.db'}")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(DagRun.__table__),
            [
                {
                    "dag_id": dag_id,
                    "run_id": f"seeded__{i:05d}",
                    "dag_version_id": dag_version_id,
                    # Every seventh run failed, so the grid has more than one colour.
                    "state": "failed" if i % 7 == 6 else "success",
                    "run_type": "scheduled",
                    "triggered_by": "timetable",
                    "run_after": start + timedelta(hours=i),
                    "start_date": start + timedelta(hours=i),
                    "end_date": start + timedelta(hours=i, minutes=1),
                    "conf": {},
                }
                for i in range(runs)
            ],
        )
        pks = conn.execute(
            select(DagRun.__table__.c.id, DagRun.__table__.c.run_id).where(
                DagRun.__table__.c.dag_id == dag_id
            )
        ).all()
        rows = [
            {
                "id": str(uuid.uuid4()),
                "dag_run_pk": pk,
                "dag_id": dag_id,
                "run_id": run_id,
                "task_id": task_id,
                "map_index": -1,
                "state": "failed" if run_id.endswith("6") and index == 0 else "success",
                "try_number": 1,
                "max_tries": 0,
                "operator": "empty",
                "queue": "default",
                "pool": "default_pool",
                "pool_slots": 1,
                "priority_weight": 1,
                "hostname": "",
            }
            for pk, run_id in pks
            for index, task_id in enumerate(task_ids)
        ]
        conn.execute(insert(TaskInstance.__table__), rows)
    engine.dispose()
