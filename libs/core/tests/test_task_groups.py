"""Task groups expand at parse time into plain tasks: prefixed ids, group dependencies
resolved to root and leaf tasks, errors naming the field."""

from __future__ import annotations

import json

import pytest

from tradewind_core.spec import DagSpecError, field_path, parse_dag_spec


def bash(task_id, *upstream, **extra):
    return {
        "task_id": task_id,
        "operator": "bash",
        "bash_command": "true",
        "upstream": list(upstream),
        **extra,
    }


def graph(spec) -> dict[str, list[str]]:
    return {t.task_id: sorted(t.upstream) for t in spec.tasks}


def test_a_group_prefixes_its_tasks_and_wires_roots_and_leaves():
    spec = parse_dag_spec(
        {
            "dag_id": "g",
            "task_groups": [{"group_id": "extract", "upstream": ["start"], "tooltip": "pull"}],
            "tasks": [
                bash("start"),
                bash("a", task_group="extract"),
                bash("b", task_group="extract"),
                bash("c", "a", "b", task_group="extract"),
                bash("d", task_group="extract"),
                bash("load", "extract"),
            ],
        }
    )
    assert graph(spec) == {
        "start": [],
        "extract.a": ["start"],
        "extract.b": ["start"],
        "extract.c": ["extract.a", "extract.b"],
        "extract.d": ["start"],
        "load": ["extract.c", "extract.d"],
    }
    assert spec.task_groups == [] and all(t.task_group is None for t in spec.tasks)


def test_nested_groups_and_a_group_waiting_for_a_group():
    spec = parse_dag_spec(
        {
            "dag_id": "g",
            "task_groups": [
                {"group_id": "outer", "upstream": ["first"]},
                {"group_id": "inner", "parent_group": "outer", "upstream": ["prep"]},
                {"group_id": "after", "upstream": ["outer"], "prefix_group_id": False},
            ],
            "tasks": [
                bash("first"),
                bash("prep", task_group="outer"),
                bash("x", task_group="inner"),
                bash("y", "x", task_group="inner"),
                bash("last", task_group="after"),
            ],
        }
    )
    # A group waiting on a group whose upstream is inside the first: a cycle, refused
    # with the tasks named.
    with pytest.raises(DagSpecError, match="cycle between tasks"):
        parse_dag_spec(
            {
                "dag_id": "g",
                "task_groups": [
                    {"group_id": "outer", "upstream": ["after.first"]},
                    {"group_id": "after", "upstream": ["outer"]},
                ],
                "tasks": [bash("first", task_group="after"), bash("p", task_group="outer")],
            }
        )
    assert graph(spec)["outer.prep"] == ["first"]
    assert graph(spec)["outer.inner.x"] == ["outer.prep"]
    assert graph(spec)["outer.inner.y"] == ["outer.inner.x"]
    # "after" has no prefix; it waits for outer's one leaf (prep is waited for inside).
    assert graph(spec)["last"] == ["outer.inner.y"]


def test_expansion_is_stable_when_the_stored_spec_is_parsed_again():
    raw = {
        "dag_id": "g",
        "task_groups": [{"group_id": "t", "upstream": ["s"]}],
        "tasks": [bash("s"), bash("a", task_group="t"), bash("b", "a", task_group="t")],
    }
    spec = parse_dag_spec(raw)
    again = parse_dag_spec(json.loads(spec.canonical_json()))
    assert again.content_hash() == spec.content_hash() and graph(again) == graph(spec)


@pytest.mark.parametrize(
    ("groups", "tasks", "field", "words"),
    [
        ([], [bash("a", task_group="nope")], "tasks[0].task_group", "unknown task group 'nope'"),
        (
            [{"group_id": "x", "parent_group": "y"}, {"group_id": "y", "parent_group": "x"}],
            [bash("a", task_group="x")],
            "task_groups[0].parent_group",
            "cycle between task groups",
        ),
        (
            [{"group_id": "x"}],
            [bash("a", task_group="x"), bash("x.a")],
            "tasks[1].task_id",
            "'x.a' is used by tasks[0]",
        ),
        (
            [{"group_id": "x"}],
            [bash("a", "x", task_group="x")],
            "tasks[0].upstream[0]",
            "inside task group 'x'",
        ),
        (
            [{"group_id": "x", "upstream": ["ghost"]}],
            [bash("a", task_group="x")],
            "task_groups[0].upstream[0]",
            "unknown task or task group 'ghost'",
        ),
        ([{"group_id": "x"}, {"group_id": "x"}], [bash("a")], "task_groups[1].group_id", "used by"),
        ([{"group_id": "has.dot"}], [bash("a")], "task_groups[0].group_id", "pattern"),
        ([{"group_id": "e"}], [bash("a", "e")], "tasks[0].upstream[0]", "has no tasks"),
    ],
)
def test_bad_groups_name_the_field(groups, tasks, field, words):
    with pytest.raises(DagSpecError) as caught:
        parse_dag_spec({"dag_id": "g", "task_groups": groups, "tasks": tasks})
    fields = [field_path(e["loc"]) for e in caught.value.errors]
    assert field in fields and words in str(caught.value)
