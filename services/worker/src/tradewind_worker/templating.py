"""Rendering a task's templated fields, with `ti.xcom_pull(...)` available.

Jinja renders synchronously, and XComs live in the dispatcher, so pulls are resolved
before the real rendering: a first pass records which XComs the templates ask for (its
output is thrown away), they are fetched in one call, and the second pass renders with
them in hand."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any

from jinja2 import StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment

from tradewind_core.spec import TaskBase

_templates = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True)
XComKey = tuple[str, str, int]  # task_id, key, map_index
# Fetches (task_id, key, map_index) -> JSON text, leaving out the ones that do not exist.
PullXComs = Callable[[list[XComKey]], Awaitable[dict[XComKey, str]]]


class TaskInstanceView(dict):
    """`ti` in templates: the task instance's fields (ti.try_number) plus xcom_pull."""

    def __init__(self, fields: dict[str, Any], upstream: list[str], values: dict[XComKey, Any]):
        super().__init__(fields)
        self._upstream = upstream
        self._values = values
        self.requested: list[XComKey] = []

    def xcom_pull(
        self,
        task_ids: str | list[str] | None = None,
        key: str = "return_value",
        map_index: int = -1,
    ) -> Any:
        ids = self._upstream if task_ids is None else task_ids
        many = not isinstance(ids, str)
        wanted = [(t, key, map_index) for t in (ids if many else [ids])]
        self.requested.extend(wanted)
        values = [self._values.get(w) for w in wanted]
        return values if many else values[0]


@functools.lru_cache(maxsize=1024)
def _compiled(template: str) -> Template:
    # Compiling is most of a render's cost; the same DAG's tasks repeat their templates.
    return _templates.from_string(template)


def render(template: str, context: dict[str, Any]) -> str:
    if "{" not in template:
        return template  # nothing to render
    return _compiled(template).render(**context)


def render_value(value: Any, context: dict[str, Any]) -> Any:
    """Renders every string inside lists and dicts (Airflow's template_fields rule)."""
    if isinstance(value, str):
        return render(value, context)
    if isinstance(value, list):
        return [render_value(v, context) for v in value]
    if isinstance(value, dict):
        return {k: render_value(v, context) for k, v in value.items()}
    return value


def _templated_values(task: TaskBase) -> list[Any]:
    return [getattr(task, name) for name in getattr(task, "template_fields", ())]


def _with_ti(context: dict[str, Any], ti: TaskInstanceView) -> dict[str, Any]:
    return {**context, "ti": ti, "task_instance": ti}


async def context_with_xcoms(
    task: TaskBase, context: dict[str, Any], pull: PullXComs
) -> dict[str, Any]:
    """The context to render `task` with: `ti.xcom_pull` answers from values fetched now."""
    context = {**context, "task": {**context.get("task", {}), "upstream": list(task.upstream)}}
    fields = dict(context.get("ti") or {})
    values = _templated_values(task)
    if "xcom_pull" not in json.dumps(values, default=str):
        return _with_ti(context, TaskInstanceView(fields, task.upstream, {}))
    recorder = TaskInstanceView(fields, task.upstream, {})
    for value in values:
        try:
            render_value(value, _with_ti(context, recorder))
        except Exception:  # noqa: BLE001 - a dry run; the real rendering reports errors
            pass
    found = await pull(list(dict.fromkeys(recorder.requested))) if recorder.requested else {}
    resolved = {ref: json.loads(text) for ref, text in found.items()}
    return _with_ti(context, TaskInstanceView(fields, task.upstream, resolved))
