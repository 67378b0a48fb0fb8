"""Tradewind keeps DAG specs, not files; Airflow's API speaks of files (`fileloc`,
`file_token`, import errors by `filename`). These are the names a DAG's spec goes by."""

from __future__ import annotations

import base64


def spec_location(dag_id: str) -> str:
    """Where a DAG's spec is kept, as Airflow's `fileloc` and import errors name it."""
    return f"dags/{dag_id}.json"


def file_token(dag_id: str) -> str:
    """An opaque token naming the DAG's spec."""
    return base64.urlsafe_b64encode(dag_id.encode()).decode().rstrip("=")
