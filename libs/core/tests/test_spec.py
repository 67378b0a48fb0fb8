"""DAG spec validation: every rejection names the field (or the tasks) at fault."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradewind_core.spec import DagSpecError, parse_dag_spec


def bash(task_id: str, *upstream: str, **extra) -> dict:
    return {
        "task_id": task_id,
        "operator": "bash",
        "bash_command": "true",
        "upstream": list(upstream),
        **extra,
    }


def errors_of(data) -> list[dict]:
    with pytest.raises(DagSpecError) as caught:
        parse_dag_spec(data)
    return caught.value.errors


def test_a_design_example_spec_is_accepted_with_airflow_defaults():
    spec = parse_dag_spec(
        {
            "dag_id": "nightly_sales",
            "schedule": "0 3 * * *",
            "start_date": "2026-01-01T00:00:00Z",
            "tags": ["sales"],
            "params": {"limit": {"type": "integer", "default": 100}},
            "default_args": {"retries": 2, "retry_delay": 30},
            "tasks": [
                bash("extract"),
                bash("transform", "extract"),
                bash("notify", "transform", retries=0),
            ],
        }
    )
    assert [t.retries for t in spec.tasks] == [2, 2, 0]  # a task's own argument wins
    assert spec.tasks[0].retry_delay.total_seconds() == 30
    assert spec.tasks[0].trigger_rule == "all_success" and spec.tasks[0].queue == "default"
    assert spec.downstream == {"extract": ["transform"], "transform": ["notify"], "notify": []}
    assert spec.param_defaults() == {"limit": 100}


def test_unknown_upstream_task_is_named():
    errors = errors_of({"dag_id": "d", "tasks": [bash("a"), bash("b", "a", "ghost")]})
    assert errors == [
        {
            "loc": ("tasks", 1, "upstream"),
            "msg": "task 'b' depends on unknown task 'ghost'",
            "type": "unknown_task",
        }
    ]


def test_a_cycle_is_reported_in_flow_order():
    errors = errors_of({"dag_id": "d", "tasks": [bash("a", "c"), bash("b", "a"), bash("c", "b")]})
    assert len(errors) == 1 and errors[0]["type"] == "cycle"
    assert "a -> b -> c -> a" in errors[0]["msg"]


def test_a_task_depending_on_itself_is_a_cycle():
    errors = errors_of({"dag_id": "d", "tasks": [bash("a", "a")]})
    assert errors[0]["type"] == "cycle" and "a -> a" in errors[0]["msg"]


def test_duplicate_task_ids_are_rejected():
    errors = errors_of({"dag_id": "d", "tasks": [bash("a"), bash("a")]})
    assert errors[0]["loc"] == ("tasks", 1, "task_id")
    assert "tasks[0]" in errors[0]["msg"]


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"dag_id": "has space"}, ("dag_id",)),
        ({"schedule": "every tuesday"}, ("schedule",)),
        ({"tasks": []}, ("tasks",)),
        ({"max_active_runs": 0}, ("max_active_runs",)),
        ({"colour": "blue"}, ("colour",)),
        ({"default_args": {"retries": -1}}, ("default_args", "retries")),
        ({"default_args": {"email_on_failure": True}}, ("default_args", "email_on_failure")),
        ({"tasks": [{"task_id": "a", "operator": "bash"}]}, ("tasks", 0, "bash_command")),
        (
            {"tasks": [{"task_id": "a", "operator": "teleport", "bash_command": "x"}]},
            ("tasks", 0, "operator"),
        ),
        ({"tasks": [bash("a", trigger_rule="sometimes")]}, ("tasks", 0, "trigger_rule")),
        ({"tasks": [bash("a", retries="many")]}, ("tasks", 0, "retries")),
    ],
)
def test_invalid_fields_are_located(change, loc):
    data = {"dag_id": "d", "tasks": [bash("a")], **change}
    assert loc in [e["loc"] for e in errors_of(data)]


def test_a_non_object_spec_is_rejected():
    assert errors_of(["not", "a", "dag"])[0]["msg"] == "a DAG spec must be a JSON object"


def test_content_hash_ignores_key_order_and_defaults_spelled_out():
    one = parse_dag_spec({"dag_id": "d", "tasks": [bash("a")]})
    two = parse_dag_spec({"tasks": [bash("a", queue="default", retries=0)], "dag_id": "d"})
    three = parse_dag_spec({"dag_id": "d", "tasks": [bash("a", retries=1)]})
    assert one.content_hash() == two.content_hash() != three.content_hash()


@st.composite
def acyclic_specs(draw):
    """Random DAGs, acyclic by construction: a task only depends on earlier ones."""
    count = draw(st.integers(min_value=1, max_value=25))
    tasks = []
    for i in range(count):
        upstream = (
            draw(st.sets(st.integers(min_value=0, max_value=i - 1), max_size=4)) if i else set()
        )
        tasks.append(bash(f"t{i}", *(f"t{j}" for j in sorted(upstream))))
    order = draw(st.permutations(tasks))
    return {"dag_id": "random", "tasks": list(order)}


@given(acyclic_specs())
def test_every_acyclic_spec_is_accepted_and_ordered(data):
    spec = parse_dag_spec(data)
    position = {task_id: i for i, task_id in enumerate(spec.topological_order())}
    assert sorted(position) == sorted(t["task_id"] for t in data["tasks"])
    for task in spec.tasks:
        for upstream in task.upstream:
            assert position[upstream] < position[task.task_id]
    for task_id, downstream in spec.downstream.items():
        for d in downstream:
            assert task_id in spec.task_by_id[d].upstream


@given(acyclic_specs(), st.data())
def test_any_back_edge_makes_a_cycle(data, draw):
    tasks = data["tasks"]
    with_upstream = [t for t in tasks if t["upstream"]]
    if not with_upstream:
        return
    child = draw.draw(st.sampled_from(with_upstream))
    parent = next(t for t in tasks if t["task_id"] == child["upstream"][0])
    parent["upstream"] = [*parent["upstream"], child["task_id"]]
    errors = errors_of(data)
    assert [e["type"] for e in errors] == ["cycle"]
