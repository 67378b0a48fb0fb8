"""Apache Airflow's official Python client (apache-airflow-client 3.x, unchanged) driving a
live Tradewind: api, scheduler, dispatcher and a worker running real subprocesses, on
PostgreSQL. Every call goes through the client's own typed models, so a field it requires
and we do not send, or send in another shape, fails here as it would for its users."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import airflow_client.client as af
import httpx
import pytest
from airflow_client.client.exceptions import ApiException
from cryptography.fernet import Fernet

from conftest import ADMIN_PASSWORD
from services.api.tests.test_control_api import api  # noqa: F401  the services, serving

pytestmark = pytest.mark.postgres
FERNET_KEY = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def fernet_key(monkeypatch, tmp_path):
    """Set before the services start (autouse fixtures come first)."""
    monkeypatch.setenv("TRADEWIND_FERNET_KEY", FERNET_KEY)
    monkeypatch.setenv("TRADEWIND_HOME", str(tmp_path))


JOBS = "def total():\n    print('counting rows')\n    return {'total': 3}\n"
SPEC = {
    "dag_id": "sales",
    "description": "nightly sales",
    "schedule": "0 3 * * *",
    "start_date": "2030-01-01T00:00:00Z",
    "tags": ["finance", "nightly"],
    "params": {"limit": 3},
    "code": {"files": {"jobs.py": JOBS}},
    "tasks": [
        {
            "task_id": "count",
            "operator": "python",
            "python_callable": "jobs:total",
            "retries": 2,
            "retry_delay": 90,
            "execution_timeout": 3600,
        },
        {
            "task_id": "report",
            "operator": "bash",
            "bash_command": "echo reporting",
            "upstream": ["count"],
        },
    ],
}


async def _client(api_client: httpx.AsyncClient) -> af.ApiClient:
    host = str(api_client.base_url).removesuffix("/").removesuffix("/api/v2")
    # Signed in as Airflow's clients are: a token from /auth/token, sent as a bearer token.
    answer = await api_client.post(
        f"{host}/auth/token", json={"username": "admin", "password": ADMIN_PASSWORD}
    )
    token = answer.json()["access_token"]
    return af.ApiClient(af.Configuration(host=host, access_token=token))


def _drive_dags(client: af.ApiClient) -> str:
    dags = af.DAGApi(client)
    listed = dags.get_dags(tags=["finance"])
    assert listed.total_entries == 1
    dag = listed.dags[0]
    assert dag.dag_id == "sales" and dag.fileloc and dag.file_token
    assert dag.is_backfillable and dag.timetable_periodic and not dag.timetable_partitioned
    assert [t.name for t in dag.tags] == ["finance", "nightly"]
    assert dags.get_dag("sales").timetable_summary == "0 3 * * *"
    paused = dags.patch_dag("sales", af.DAGPatchBody(is_paused=True), update_mask=["is_paused"])
    assert paused.is_paused is True
    assert dags.get_dags(paused=True).total_entries == 1
    details = dags.get_dag_details("sales")
    assert details.params == {"limit": 3} and details.catchup is False
    assert details.start_date.year == 2030 and details.concurrency == 16
    assert details.active_runs_count == 0
    unpaused = dags.patch_dags(
        af.DAGPatchBody(is_paused=False), dag_id_pattern="sal", update_mask=["is_paused"]
    )
    assert [d.is_paused for d in unpaused.dags] == [False]

    tasks = af.TaskApi(client)
    listed_tasks = tasks.get_tasks("sales")
    assert [t.task_id for t in listed_tasks.tasks] == ["count", "report"]
    count = tasks.get_task("sales", "count")
    assert count.retry_delay.seconds == 90 and count.retry_delay.days == 0
    assert count.execution_timeout.seconds == 3600
    assert count.downstream_task_ids == ["report"] and count.operator_name == "PythonOperator"
    with pytest.raises(ApiException) as missing:
        tasks.get_task("sales", "nope")
    assert missing.value.status == 404

    runs = af.DagRunApi(client)
    run = runs.trigger_dag_run(
        "sales", af.TriggerDAGRunPostBody(dag_run_id="first", conf={"limit": 5}, note="by hand")
    )
    assert run.dag_run_id == "first" and run.conf == {"limit": 5}
    return run.dag_run_id


def _drive_runs(client: af.ApiClient) -> None:
    runs = af.DagRunApi(client)
    assert [r.dag_run_id for r in runs.get_dag_runs("sales").dag_runs] == ["first"]
    everywhere = runs.get_dag_runs("~", state=["success"])
    assert [(r.dag_id, r.dag_run_id) for r in everywhere.dag_runs] == [("sales", "first")]
    batch = runs.get_list_dag_runs_batch("~", af.DAGRunsBatchBody(dag_ids=["sales"]))
    assert batch.total_entries == 1

    tis = af.TaskInstanceApi(client)
    listed = tis.get_task_instances("sales", "first")
    assert sorted((t.task_id, t.state) for t in listed.task_instances) == [
        ("count", "success"),
        ("report", "success"),
    ]
    across = tis.get_task_instances("~", "~", state=["success"], order_by=["task_id"])
    assert [t.task_id for t in across.task_instances] == ["count", "report"]
    batch_tis = tis.get_task_instances_batch(
        "~", "~", af.TaskInstancesBatchBody(dag_ids=["sales"], task_ids=["report"])
    )
    assert [t.task_id for t in batch_tis.task_instances] == ["report"]
    log = tis.get_log("sales", "first", "count", 1)
    events = [line.event for line in log.content.actual_instance]
    assert "counting rows" in events, events

    xcoms = af.XComApi(client)
    entries = xcoms.get_xcom_entries("sales", "first", "count")
    assert [e.key for e in entries.xcom_entries] == ["return_value"]
    value = xcoms.get_xcom_entry(
        dag_id="sales", dag_run_id="first", task_id="count", xcom_key="return_value"
    )
    assert value.actual_instance.value == {"total": 3}

    stats = af.DagStatsApi(client).get_dag_stats(dag_ids=["sales"])
    by_state = {s.state.value: s.count for s in stats.dags[0].stats}
    assert by_state == {"queued": 0, "running": 0, "success": 1, "failed": 0}


def _drive_the_rest(client: af.ApiClient) -> None:
    pools = af.PoolApi(client)
    pools.post_pool(af.PoolBody(name="gpu", slots=2, description="cards"))
    assert pools.get_pool("gpu").open_slots == 2
    assert pools.patch_pool("gpu", af.PoolPatchBody(slots=4), update_mask=["slots"]).slots == 4
    assert {p.name for p in pools.get_pools().pools} == {"default_pool", "gpu"}
    pools.delete_pool("gpu")

    health = af.MonitorApi(client).get_health()
    assert health.metadatabase.status == "healthy" and health.scheduler.status == "healthy"
    assert health.triggerer.status is None
    assert af.VersionApi(client).get_version().version

    variables = af.VariableApi(client)
    variables.post_variable(af.VariableBody(key="bucket", value="s3://sales"))
    variables.post_variable(af.VariableBody(key="api_token", value="t0p-s3cret"))
    assert variables.get_variable("bucket").value == "s3://sales"
    assert variables.get_variable("api_token").value == "***"
    patched = variables.patch_variable(
        "bucket", af.VariableBody(key="bucket", value="s3://other", description="where")
    )
    assert patched.value == "s3://other" and patched.description == "where"
    assert variables.get_variables(variable_key_pattern="buck").total_entries == 1
    bulk = variables.bulk_variables(
        af.BulkBodyVariableBody(
            actions=[
                af.ActionsInner4(
                    af.BulkCreateActionVariableBody(
                        action="create",
                        entities=[af.VariableBody(key="region", value="eu")],
                    )
                ),
                af.ActionsInner4(
                    af.BulkDeleteActionVariableBody(
                        action="delete", entities=[af.EntitiesInner4("bucket")]
                    )
                ),
            ]
        )
    )
    assert bulk.create.success == ["region"] and bulk.delete.success == ["bucket"]
    variables.delete_variable("region")
    with pytest.raises(ApiException) as gone:
        variables.get_variable("region")
    assert gone.value.status == 404

    connections = af.ConnectionApi(client)
    connections.post_connection(
        af.ConnectionBody(
            connection_id="warehouse",
            conn_type="postgres",
            host="db.example",
            port=5432,
            login="loader",
            password="hunter2",
            extra='{"sslmode": "require", "api_key": "k"}',
        )
    )
    shown = connections.get_connection("warehouse")
    assert shown.password == "***" and shown.login == "loader" and shown.port == 5432
    assert shown.extra == '{"sslmode": "require", "api_key": "***"}'
    moved = connections.patch_connection(
        "warehouse",
        af.ConnectionBody(connection_id="warehouse", conn_type="postgres", host="db2.example"),
        update_mask=["host"],
    )
    assert moved.host == "db2.example" and moved.password == "***"
    assert connections.get_connections().total_entries == 1
    connections.delete_connection("warehouse")

    event_logs = af.EventLogApi(client)
    events = event_logs.get_event_logs(dag_id="sales")
    names = [e.event for e in events.event_logs]
    assert names == ["post_dag", "patch_dag", "trigger_dag_run", "patch_dag_run"], names
    assert event_logs.get_event_logs(event="patch_dags").total_entries == 1
    secrets = event_logs.get_event_logs(event_pattern="connection")
    assert secrets.total_entries == 3  # post, patch, delete
    assert "hunter2" not in str(secrets) and "t0p-s3cret" not in str(event_logs.get_event_logs())
    trigger = [e for e in events.event_logs if e.event == "trigger_dag_run"]
    assert trigger and trigger[0].run_id == "first" and trigger[0].owner == "admin"
    one = af.EventLogApi(client).get_event_log(trigger[0].event_log_id)
    assert one.event == "trigger_dag_run"

    assert af.DAGApi(client).get_dag_tags().tags == ["finance", "nightly"]
    config = af.ConfigApi(client).get_config()
    options = {o.key: o.value.actual_instance for o in config.sections[0].options}
    assert options["fernet_key"] == "< hidden >" and FERNET_KEY not in str(config)
    assert af.ImportErrorApi(client).get_import_errors().total_entries == 0


def _drive_run_control(client: af.ApiClient) -> None:
    """Reads and changes of one run, its tries, versions and sources, and backfills."""
    runs = af.DagRunApi(client)
    assert runs.get_dag_run("sales", "first").state.value == "success"
    noted = runs.patch_dag_run(
        "sales", "first", af.DAGRunPatchBody(note="checked"), update_mask=["note"]
    )
    assert noted.note == "checked"
    tis = af.TaskInstanceApi(client)
    assert tis.get_task_instance("sales", "first", "count").try_number == 1
    tries = tis.get_task_instance_tries("sales", "first", "count")
    assert [t.try_number for t in tries.task_instances] == [1]
    versions = af.DagVersionApi(client).get_dag_versions("sales")
    assert [v.version_number for v in versions.dag_versions] == [1]
    assert af.DagVersionApi(client).get_dag_version("sales", 1).dag_id == "sales"
    source = af.DagSourceApi(client).get_dag_source("sales")
    assert '"dag_id": "sales"' in source.content or '"dag_id":"sales"' in source.content
    backfills = af.BackfillApi(client)
    with pytest.raises(ApiException) as future:  # runs only up to now
        backfills.create_backfill_dry_run(
            af.BackfillPostBody(
                dag_id="sales", from_date="2030-01-01T00:00:00Z", to_date="2030-01-03T00:00:00Z"
            )
        )
    assert future.value.status == 422 and "to_date" in future.value.body
    assert backfills.list_backfills("sales").total_entries == 0


async def test_airflows_own_client_drives_tradewind(api):  # noqa: F811
    created = await api.post("/dags", json=SPEC)
    assert created.status_code == 201, created.text
    with await _client(api) as client:
        run_id = await asyncio.to_thread(_drive_dags, client)
        await _wait_for_run(api, "sales", run_id)
        await asyncio.to_thread(_drive_runs, client)
        await asyncio.to_thread(_drive_run_control, client)
        await asyncio.to_thread(_drive_the_rest, client)


async def _wait_for_run(client: httpx.AsyncClient, dag_id: str, run_id: str) -> None:
    deadline = asyncio.get_running_loop().time() + timedelta(seconds=60).total_seconds()
    while asyncio.get_running_loop().time() < deadline:
        run = (await client.get(f"/dags/{dag_id}/dagRuns/{run_id}")).json()
        if run["state"] in ("success", "failed"):
            assert run["state"] == "success", run
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish")
