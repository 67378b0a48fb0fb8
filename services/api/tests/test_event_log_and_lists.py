"""The event log, import errors, lists across DAGs (`~` and batch bodies), bulk DAG
patches, DAG stats and tags, version and config, over HTTP with the api, scheduler and
dispatcher serving for real (PostgreSQL; no worker, so triggered tasks stay queued)."""

from __future__ import annotations

import json

import pytest

from services.api.tests.test_rest_api import SPEC, api, assert_problem, bash  # noqa: F401

pytestmark = pytest.mark.postgres
OTHER = {"dag_id": "other", "tags": ["misc"], "tasks": [bash("only")]}


async def _events(api, **params) -> list[dict]:  # noqa: F811
    reply = await api.get("/eventLogs", params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()["event_logs"]


async def test_every_change_is_recorded_and_the_record_cannot_be_changed(api):  # noqa: F811
    assert (await api.post("/dags", json=SPEC)).status_code == 201
    for _ in range(2):  # a retried trigger is answered again, not done (or recorded) twice
        reply = await api.post("/dags/etl/dagRuns", json={}, headers={"Idempotency-Key": "k1"})
        assert reply.status_code == 200, reply.text
    run_id = reply.json()["dag_run_id"]
    assert (await api.patch("/dags/etl", json={"is_paused": True})).status_code == 200
    # Refused changes, reads made with POST and dry runs change nothing: none recorded.
    assert_problem(await api.patch("/dags/etl", json={"is_paused": "maybe"}), 422)
    assert_problem(await api.post("/variables", json={"key": ""}), 422)
    assert (await api.post("/dags/~/dagRuns/list", json={})).status_code == 200
    assert (await api.post("/variables", json={"key": "token", "value": "hunter2"})).is_success

    events = await _events(api)
    assert [(e["event"], e["dag_id"], e["run_id"]) for e in events] == [
        ("login", None, None),  # the client signed in first
        ("post_dag", "etl", None),
        ("trigger_dag_run", "etl", run_id),
        ("patch_dag", "etl", None),
        ("post_variable", None, None),
    ]
    assert events[0]["owner"] == "admin"
    trigger = events[2]
    assert trigger["owner"] == "admin" and trigger["when"]
    extra = json.loads(trigger["extra"])
    assert extra["host"] == "127.0.0.1" and extra["method"] == "POST"
    assert extra["path"] == "/api/v2/dags/etl/dagRuns" and extra["status_code"] == 200
    assert json.loads(events[4]["extra"])["body"] == {"key": "token", "value": "***"}

    one = await api.get(f"/eventLogs/{trigger['event_log_id']}")
    assert one.json() == trigger
    assert_problem(await api.get("/eventLogs/999999"), 404)
    assert_problem(await api.get("/eventLogs/abc"), 422)
    for method in ("put", "patch", "delete"):
        refused = await getattr(api, method)(f"/eventLogs/{trigger['event_log_id']}")
        assert refused.status_code == 405 and refused.headers["allow"] == "GET"
    assert (await api.post("/eventLogs", json={})).status_code == 405
    assert len(await _events(api)) == 5

    assert [e["event"] for e in await _events(api, event="patch_dag")] == ["patch_dag"]
    included = await _events(api, included_events=["post_dag", "post_variable"])
    assert [e["event"] for e in included] == ["post_dag", "post_variable"]
    excluded = await _events(api, excluded_events=["post_dag"], order_by="-id")
    assert [e["event"] for e in excluded] == [
        "post_variable",
        "patch_dag",
        "trigger_dag_run",
        "login",
    ]
    assert await _events(api, after=trigger["when"], event_pattern="post_") == [events[4]]
    assert_problem(await api.get("/eventLogs", params={"order_by": "nope"}), 422)
    assert_problem(await api.get("/eventLogs", params={"before": "yesterday"}), 422)


async def test_refused_specs_are_kept_per_dag_until_a_good_one_arrives(api):  # noqa: F811
    assert (await api.post("/dags", json=SPEC)).status_code == 201
    broken = {**SPEC, "tasks": [bash("load", "missing")]}
    for _ in range(2):  # the newest refusal replaces the one before
        assert_problem(await api.post("/dags", json=broken), 422)
    assert_problem(await api.post("/dags", json={"dag_id": "fresh", "tasks": []}), 422)
    unnamed = await api.post(
        "/dags", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_problem(unnamed, 422)  # names no DAG: nothing to keep it under

    listed = (await api.get("/importErrors", params={"order_by": "filename"})).json()
    assert listed["total_entries"] == 2
    assert [e["filename"] for e in listed["import_errors"]] == [
        "dags/etl.json",
        "dags/fresh.json",
    ]
    etl = listed["import_errors"][0]
    assert "tasks[0].upstream" in etl["stack_trace"] and "missing" in etl["stack_trace"]
    assert (await api.get(f"/importErrors/{etl['import_error_id']}")).json() == etl
    assert_problem(await api.get("/importErrors/999999"), 404)
    found = (await api.get("/importErrors", params={"filename_pattern": "fre"})).json()
    assert found["total_entries"] == 1

    assert (await api.get("/dags/etl")).json()["has_import_errors"] is True
    failing = (await api.get("/dags", params={"has_import_errors": True})).json()
    assert [d["dag_id"] for d in failing["dags"]] == ["etl"]
    fixed = await api.post("/dags", json={**SPEC, "description": "fixed"})
    assert fixed.status_code == 201 and fixed.json()["has_import_errors"] is False
    remaining = (await api.get("/importErrors")).json()
    assert [e["filename"] for e in remaining["import_errors"]] == ["dags/fresh.json"]


async def test_runs_and_task_instances_across_dags(api):  # noqa: F811
    for spec in (SPEC, OTHER):
        assert (await api.post("/dags", json=spec)).status_code == 201
    for dag_id, run_id in (("etl", "e1"), ("etl", "e2"), ("other", "o1")):
        reply = await api.post(f"/dags/{dag_id}/dagRuns", json={"dag_run_id": run_id})
        assert reply.status_code == 200, reply.text

    every = (await api.get("/dags/~/dagRuns", params={"order_by": ["-dag_id", "run_id"]})).json()
    assert [(r["dag_id"], r["dag_run_id"]) for r in every["dag_runs"]] == [
        ("other", "o1"),
        ("etl", "e1"),
        ("etl", "e2"),
    ]
    assert every["total_entries"] == 3
    paged = (await api.get("/dags/~/dagRuns", params={"limit": 1, "offset": 2})).json()
    assert paged["total_entries"] == 3 and len(paged["dag_runs"]) == 1
    assert (await api.get("/dags/etl/dagRuns")).json()["total_entries"] == 2
    by_pattern = await api.get("/dags/~/dagRuns", params={"run_id_pattern": "o"})
    assert [r["dag_run_id"] for r in by_pattern.json()["dag_runs"]] == ["o1"]
    none_yet = await api.get("/dags/~/dagRuns", params={"state": "success"})
    assert none_yet.json()["total_entries"] == 0
    later = await api.get("/dags/~/dagRuns", params={"run_after_gte": "2999-01-01T00:00:00Z"})
    assert later.json()["total_entries"] == 0
    assert_problem(await api.get("/dags/nope/dagRuns"), 404)
    problem = assert_problem(await api.get("/dags/~/dagRuns", params={"state": "done"}), 422)
    assert problem["detail"].startswith("state:")
    assert_problem(await api.get("/dags/~/dagRuns", params={"order_by": "conf"}), 422)
    naive = await api.get("/dags/~/dagRuns", params={"start_date_gte": "2026-01-01T00:00:00"})
    fields = [e["field"] for e in assert_problem(naive, 422)["errors"]]
    assert any(f.endswith("start_date_gte") for f in fields), fields

    batch = await api.post("/dags/~/dagRuns/list", json={"dag_ids": ["other"]})
    assert [r["dag_run_id"] for r in batch.json()["dag_runs"]] == ["o1"]
    assert_problem(await api.post("/dags/etl/dagRuns/list", json={}), 422)
    assert_problem(await api.post("/dags/~/dagRuns/list", json={"page_limit": -1}), 422)

    tis = (await api.get("/dags/~/dagRuns/~/taskInstances")).json()
    assert tis["total_entries"] == 5  # two tasks in each etl run, one in other's
    one_run = (await api.get("/dags/etl/dagRuns/e2/taskInstances")).json()
    assert {(t["dag_run_id"], t["task_id"]) for t in one_run["task_instances"]} == {
        ("e2", "extract"),
        ("e2", "load"),
    }
    loads = (await api.get("/dags/etl/dagRuns/~/taskInstances", params={"task_id": "load"})).json()
    assert sorted(t["dag_run_id"] for t in loads["task_instances"]) == ["e1", "e2"]
    assert_problem(await api.get("/dags/etl/dagRuns/nope/taskInstances"), 404)
    body = {"dag_ids": ["etl"], "task_ids": ["extract"], "order_by": "-dag_run_id"}
    picked = (await api.post("/dags/~/dagRuns/~/taskInstances/list", json=body)).json()
    assert [t["dag_run_id"] for t in picked["task_instances"]] == ["e2", "e1"]
    assert_problem(await api.post("/dags/etl/dagRuns/~/taskInstances/list", json={}), 422)

    stats = (await api.get("/dagStats")).json()
    counts = {
        d["dag_id"]: sum(s["count"] for s in d["stats"] if s["state"] in ("queued", "running"))
        for d in stats["dags"]
    }
    assert counts == {"etl": 2, "other": 1} and stats["total_entries"] == 2
    assert (await api.get("/dags/etl/details")).json()["active_runs_count"] == 2
    assert [s["state"] for s in stats["dags"][0]["stats"]] == [
        "queued",
        "running",
        "success",
        "failed",
    ]


async def test_bulk_dag_patch_tags_version_and_config(api):  # noqa: F811
    for spec in (SPEC, OTHER):
        assert (await api.post("/dags", json=spec)).status_code == 201
    assert_problem(
        await api.patch("/dags", json={"is_paused": True}, params={"update_mask": "owners"}), 422
    )
    assert (await api.get("/dags", params={"paused": True})).json()["total_entries"] == 0
    paused = await api.patch("/dags", json={"is_paused": True}, params={"tags": ["sales"]})
    assert [d["dag_id"] for d in paused.json()["dags"]] == ["etl"]
    assert (await api.get("/dags/etl")).json()["is_paused"] is True
    assert (await api.get("/dags/other")).json()["is_paused"] is False
    both = await api.get("/dags", params={"tags": ["sales", "nightly"], "tags_match_mode": "all"})
    assert [d["dag_id"] for d in both.json()["dags"]] == ["etl"]
    owned = await api.get("/dags", params={"owners": ["tradewind"], "order_by": "-dag_id"})
    assert [d["dag_id"] for d in owned.json()["dags"]] == ["other", "etl"]
    assert (await api.get("/dags", params={"owners": ["trade"]})).json()["total_entries"] == 0

    tags = (await api.get("/dagTags")).json()
    assert tags == {"tags": ["misc", "nightly", "sales"], "total_entries": 3}
    found = (
        await api.get("/dagTags", params={"tag_name_pattern": "s", "order_by": "-name"})
    ).json()
    assert found["tags"] == ["sales", "misc"]
    assert_problem(await api.get("/dagTags", params={"order_by": "dag_id"}), 422)

    assert (await api.get("/version")).json()["version"]
    config = (await api.get("/config")).json()
    options = {o["key"]: o["value"] for o in config["sections"][0]["options"]}
    assert options["api_port"].isdigit() and options["fernet_key"] in ("", "< hidden >")
    text = await api.get("/config", headers={"Accept": "text/plain"})
    assert text.text.startswith("[tradewind]\n") and "api_port = " in text.text
    one = await api.get("/config/section/tradewind/option/api_port")
    assert one.json()["sections"][0]["options"] == [
        {"key": "api_port", "value": options["api_port"]}
    ]
    assert_problem(await api.get("/config", params={"section": "core"}), 404)
    assert_problem(await api.get("/config/section/tradewind/option/nope"), 404)
