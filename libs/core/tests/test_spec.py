"""DAG spec validation: every rejection names the field (or the tasks) at fault."""

from __future__ import annotations

import json

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


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"max_active_runs": 2**31}, "max_active_runs"),
        ({"max_active_tasks": 2**31}, "max_active_tasks"),
        ({"tasks": [bash("a", priority_weight=2**31)]}, "tasks[0].priority_weight"),
        ({"tasks": [bash("a", priority_weight=-(2**31) - 1)]}, "tasks[0].priority_weight"),
        ({"tasks": [bash("a", pool_slots=2**31)]}, "tasks[0].pool_slots"),
        ({"tasks": [bash("a", retry_delay=10**12)]}, "tasks[0].retry_delay"),
        ({"tasks": [bash("a", max_retry_delay=10**12)]}, "tasks[0].max_retry_delay"),
        ({"tasks": [bash("a", execution_timeout=10**12)]}, "tasks[0].execution_timeout"),
        ({"tasks": [bash("a", max_active_tis_per_dag=0)]}, "tasks[0].max_active_tis_per_dag"),
        (
            {"tasks": [bash("a", max_active_tis_per_dagrun=2**31)]},
            "tasks[0].max_active_tis_per_dagrun",
        ),
        ({"tasks": [bash("a", weight_rule="sideways")]}, "tasks[0].weight_rule"),
        ({"tasks": [bash("a", pool="no spaces allowed")]}, "tasks[0].pool"),
    ],
)
def test_numbers_storage_cannot_hold_are_refused_naming_the_field(data, where):
    from tradewind_core.spec import field_path

    spec = {"dag_id": "big", "tasks": [bash("a")], **data}
    assert where in [field_path(e["loc"]) for e in errors_of(spec)]


def test_bounds_at_the_edge_are_accepted():
    spec = parse_dag_spec(
        {
            "dag_id": "edge",
            "max_active_runs": 2**31 - 1,
            "tasks": [
                bash(
                    "a", priority_weight=2**31 - 1, pool_slots=2**31 - 1, retry_delay=86400 * 3650
                ),
                bash(
                    "b", "a", depends_on_past=True, wait_for_downstream=True, weight_rule="absolute"
                ),
            ],
        }
    )
    assert spec.priority_weights == {"a": 2**31 - 1, "b": 1}


def test_python_http_and_empty_tasks_are_accepted():
    spec = parse_dag_spec(
        {
            "dag_id": "d",
            "code": {"files": {"sales/jobs.py": "def transform(limit):\n    return limit\n"}},
            "tasks": [
                {"task_id": "e", "operator": "empty"},
                {
                    "task_id": "p",
                    "operator": "python",
                    "python_callable": "sales.jobs:transform",
                    "op_kwargs": {"limit": "{{ params.limit }}"},
                    "upstream": ["e"],
                },
                {
                    "task_id": "h",
                    "operator": "http",
                    "url": "http://127.0.0.1:1/x",
                    "upstream": ["p"],
                },
            ],
        }
    )
    python = spec.task_by_id["p"]
    assert python.code_hash == spec.code.content_hash()  # set from the bundle, never by hand
    assert (
        spec.task_by_id["h"].method == "POST" and spec.task_by_id["h"].timeout.total_seconds() == 60
    )
    # The hash survives a round trip through the stored canonical JSON.
    assert (
        parse_dag_spec(json.loads(spec.canonical_json())).task_by_id["p"].code_hash
        == python.code_hash
    )


def test_a_bundle_with_bad_python_names_the_file_and_line():
    errors = errors_of(
        {
            "dag_id": "d",
            "code": {"files": {"ok.py": "x = 1\n", "sales/jobs.py": "def f(:\n  pass\n"}},
            "tasks": [{"task_id": "p", "operator": "python", "python_callable": "ok:f"}],
        }
    )
    assert [(e["loc"], e["type"]) for e in errors] == [
        (("code", "files", "sales/jobs.py"), "python_syntax")
    ]
    assert "sales/jobs.py line 1" in errors[0]["msg"]


@pytest.mark.parametrize(
    ("code", "needle"),
    [
        ({"files": {"../etc/passwd.py": "x=1"}}, "is not a module path"),
        ({"files": {"big.py": "#" * (1024 * 1024 + 1)}}, "at most 1048576"),
        ({"files": {}}, "at least 1"),
    ],
)
def test_bad_bundles_are_refused(code, needle):
    errors = errors_of(
        {
            "dag_id": "d",
            "code": code,
            "tasks": [{"task_id": "p", "operator": "python", "python_callable": "a:b"}],
        }
    )
    assert errors[0]["loc"][:2] == ("code", "files") and needle in errors[0]["msg"]


@pytest.mark.parametrize(
    ("task", "loc"),
    [
        ({"operator": "python", "python_callable": "no_colon"}, ("python_callable",)),
        ({"operator": "http", "url": "ftp://x"}, ("url",)),
        (
            {"operator": "http", "url": "http://x", "accepted_status_codes": [700]},
            ("accepted_status_codes", 0),
        ),
        ({"operator": "empty", "bash_command": "x"}, ("bash_command",)),
    ],
)
def test_operator_fields_are_checked(task, loc):
    errors = errors_of({"dag_id": "d", "tasks": [{"task_id": "a", **task}]})
    assert errors[0]["loc"] == ("tasks", 0, *loc)
