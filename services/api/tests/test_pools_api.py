"""`/api/v2/pools` over HTTP with the scheduler serving for real: Airflow's shapes and
codes, bad input refused naming the field, and DAG specs naming unknown pools refused."""

from __future__ import annotations

import pytest

from services.api.tests.test_rest_api import api, assert_problem, bash  # noqa: F401

pytestmark = pytest.mark.postgres


async def test_pool_crud_with_airflows_shapes(api):  # noqa: F811
    listed = (await api.get("/pools")).json()
    assert listed["total_entries"] == 1
    default = listed["pools"][0]
    assert default == {
        "name": "default_pool",
        "slots": 128,
        "description": "Default pool",
        "include_deferred": False,
        "occupied_slots": 0,
        "running_slots": 0,
        "queued_slots": 0,
        "scheduled_slots": 0,
        "open_slots": 128,
        "deferred_slots": 0,
        "team_name": None,
    }
    created = await api.post("/pools", json={"name": "gpu", "slots": 2, "description": "cards"})
    assert created.status_code == 201, created.text
    assert created.json()["open_slots"] == 2 and created.json()["description"] == "cards"
    assert_problem(await api.post("/pools", json={"name": "gpu", "slots": 1}), 409)
    patched = await api.patch("/pools/gpu", json={"slots": 5}, params={"update_mask": ["slots"]})
    assert patched.status_code == 200 and patched.json()["slots"] == 5
    assert patched.json()["description"] == "cards"  # not in the mask: unchanged
    found = (await api.get("/pools", params={"pool_name_pattern": "gp%"})).json()
    assert [p["name"] for p in found["pools"]] == ["gpu"] and found["total_entries"] == 1
    ordered = (await api.get("/pools", params={"order_by": "-slots"})).json()
    assert [p["name"] for p in ordered["pools"]] == ["default_pool", "gpu"]
    assert (await api.get("/pools/gpu")).json()["slots"] == 5
    assert (await api.delete("/pools/gpu")).status_code == 204
    assert_problem(await api.get("/pools/gpu"), 404)
    assert_problem(await api.delete("/pools/gpu"), 404)
    assert_problem(await api.delete("/pools/default_pool"), 400)
    assert (await api.get("/pools/default_pool")).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "big", "slots": 2**31}, "body.slots"),
        ({"name": "neg", "slots": -2}, "body.slots"),
        ({"name": "", "slots": 1}, "body.name"),
        ({"name": "x", "slots": 1, "extra": True}, "body.extra"),
    ],
)
async def test_bad_pool_bodies_are_refused_naming_the_field(api, body, field):  # noqa: F811
    problem = assert_problem(await api.post("/pools", json=body), 422)
    assert field in [e["field"] for e in problem["errors"]]
    assert (await api.get("/pools")).json()["total_entries"] == 1


async def test_a_spec_naming_an_unknown_pool_is_refused(api):  # noqa: F811
    spec = {"dag_id": "p", "tasks": [bash("a"), bash("b", "a", pool="nowhere")]}
    problem = assert_problem(await api.post("/dags", json=spec), 422)
    assert [e["field"] for e in problem["errors"]] == ["tasks[1].pool"]
    assert (await api.post("/pools", json={"name": "nowhere", "slots": 1})).status_code == 201
    assert (await api.post("/dags", json=spec)).status_code == 201


async def test_numbers_nothing_can_hold_are_refused_at_the_door(api):  # noqa: F811
    spec = {"dag_id": "huge", "tasks": [bash("a", retry_delay=10**12, priority_weight=2**31)]}
    problem = assert_problem(await api.post("/dags", json=spec), 422)
    fields = {e["field"] for e in problem["errors"]}
    assert {"tasks[0].retry_delay", "tasks[0].priority_weight"} <= fields


async def test_health_lists_no_set_aside_runs_when_all_is_well(api):  # noqa: F811
    scheduler = (await api.get("/monitor/health")).json()["scheduler"]
    assert scheduler["set_aside_runs"] == [] and scheduler["set_aside_total"] == 0


async def test_bulk_pools_applies_each_action_and_reports_each_entity(api):  # noqa: F811
    """Airflow's bulk body: one bad entity is reported, its neighbours still applied."""
    await api.post("/pools", json={"name": "old", "slots": 1})
    await api.post("/pools", json={"name": "doomed", "slots": 1})
    body = {
        "actions": [
            {
                "action": "create",
                "entities": [{"name": "fresh", "slots": 3}, {"name": "old", "slots": 9}],
            },
            {
                "action": "create",
                "action_on_existence": "overwrite",
                "entities": [{"name": "old", "slots": 5, "description": "renewed"}],
            },
            {
                "action": "update",
                "update_mask": ["slots"],
                "entities": [{"name": "fresh", "slots": 4}, {"name": "ghost", "slots": 1}],
            },
            {"action": "delete", "entities": ["doomed", "default_pool", "ghost"]},
        ]
    }
    answer = await api.patch("/pools", json=body)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    # Two create actions share one report.
    assert result["create"]["success"] == ["fresh", "old"]
    assert [e["status_code"] for e in result["create"]["errors"]] == [409]
    assert result["update"]["success"] == ["fresh"]
    assert [e["status_code"] for e in result["update"]["errors"]] == [404]
    assert result["delete"]["success"] == ["doomed"]
    assert sorted(e["status_code"] for e in result["delete"]["errors"]) == [400, 404]
    pools = {p["name"]: p for p in (await api.get("/pools")).json()["pools"]}
    assert set(pools) == {"default_pool", "old", "fresh"}
    assert (pools["old"]["slots"], pools["old"]["description"]) == (5, "renewed")
    assert pools["fresh"]["slots"] == 4

    skipped = await api.patch(
        "/pools",
        json={
            "actions": [
                {"action": "delete", "action_on_non_existence": "skip", "entities": ["ghost"]}
            ]
        },
    )
    assert skipped.json() == {
        "create": None,
        "update": None,
        "delete": {"success": [], "errors": []},
    }


async def test_bulk_pools_refuses_a_bad_body_and_changes_nothing(api):  # noqa: F811
    too_many = {
        "actions": [
            {"action": "create", "entities": [{"name": f"p{i}", "slots": 1} for i in range(1001)]}
        ]
    }
    assert_problem(await api.patch("/pools", json=too_many), 422)
    unknown = {"actions": [{"action": "rename", "entities": []}]}
    assert_problem(await api.patch("/pools", json=unknown), 422)
    assert (await api.get("/pools")).json()["total_entries"] == 1
