"""Task groups, expanded at parse time so the scheduler sees plain tasks only.

A spec declares `task_groups` (`group_id`, optional `parent_group` for nesting,
`upstream`, `tooltip`, `prefix_group_id`) and tasks join one with `task_group`. As with
Airflow's prefix_group_id, a task's id becomes `<group>.<task_id>` (`outer.inner.task`
when nested). In `upstream`, a task or a group may name:

- a group: it then waits for the group's leaf tasks (those nothing else in the group
  waits for);
- a task, by its full id, or by its own id when it is in the same group (the nearest
  enclosing group wins).

A group's `upstream` applies to its root tasks (those waiting for nothing inside the
group). The expanded spec keeps no trace of groups: stored versions parse to the same
tasks again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

GROUP_ID_PATTERN = r"^[A-Za-z0-9_\-]{1,200}$"


class TaskGroupSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    group_id: Annotated[str, Field(pattern=GROUP_ID_PATTERN)]
    parent_group: str | None = None
    upstream: list[str] = Field(default_factory=list)
    tooltip: str | None = None
    prefix_group_id: bool = True


@dataclass(frozen=True)
class _Ref:
    kind: str  # "task" or "group"
    name: str  # the task's full id, or the group's id


class _Errors(list):
    def add(self, loc: tuple[Any, ...], msg: str, kind: str) -> None:
        self.append({"loc": loc, "msg": msg, "type": kind})


def expand_task_groups(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Rewrites `data` in place (task ids prefixed, group references resolved, group
    fields removed) and returns the errors found, each with its field's location.
    Malformed input is left for validation to report."""
    raw_groups = data.get("task_groups")
    tasks = data.get("tasks")
    if not isinstance(tasks, list):
        return []
    joined = [t for t in tasks if isinstance(t, dict) and t.get("task_group") is not None]
    if not raw_groups and not joined:
        data.pop("task_groups", None)
        return []
    if not isinstance(raw_groups, list):
        raw_groups = []
    errors = _Errors()
    groups: dict[str, tuple[int, TaskGroupSpec]] = {}
    for i, raw in enumerate(raw_groups):
        try:
            group = TaskGroupSpec.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors(include_url=False, include_context=False):
                errors.add(("task_groups", i, *err["loc"]), err["msg"], err["type"])
            continue
        if group.group_id in groups:
            errors.add(
                ("task_groups", i, "group_id"),
                f"group_id {group.group_id!r} is used by "
                f"task_groups[{groups[group.group_id][0]}] too",
                "duplicate_group_id",
            )
            continue
        groups[group.group_id] = (i, group)
    if errors:
        return errors
    expander = _Expander(groups, errors)
    expander.check_parents()
    if errors:
        return errors
    expander.place_tasks(tasks)
    if errors:
        return errors
    expander.resolve()
    if errors:
        return errors
    expander.write(tasks)
    data.pop("task_groups", None)
    return errors


class _Expander:
    def __init__(self, groups: dict[str, tuple[int, TaskGroupSpec]], errors: _Errors) -> None:
        self.groups = groups
        self.errors = errors
        self.chain: dict[str, list[str]] = {}  # group -> its ancestors and itself, outermost first
        self.tasks: dict[str, tuple[int, str | None]] = {}  # full id -> (index, group)
        self.own: dict[str, list[_Ref]] = {}
        self.group_refs: dict[str, list[_Ref]] = {}
        self.members: dict[str, set[str]] = {g: set() for g in groups}

    # -- groups -------------------------------------------------------------------

    def check_parents(self) -> None:
        for i, group in self.groups.values():
            if group.parent_group is not None and group.parent_group not in self.groups:
                self.errors.add(
                    ("task_groups", i, "parent_group"),
                    f"unknown task group {group.parent_group!r}",
                    "unknown_task_group",
                )
        if self.errors:
            return
        for gid, (i, _) in self.groups.items():
            path = [gid]
            parent = self.groups[gid][1].parent_group
            while parent is not None:
                if parent in path:
                    cycle = [*path[path.index(parent) :], parent]  # each one's parent next
                    self.errors.add(
                        ("task_groups", i, "parent_group"),
                        "cycle between task groups: " + " -> ".join(cycle),
                        "cycle",
                    )
                    break
                path.append(parent)
                parent = self.groups[parent][1].parent_group
            else:
                self.chain[gid] = list(reversed(path))

    def prefix(self, gid: str) -> str:
        return ".".join(g for g in self.chain[gid] if self.groups[g][1].prefix_group_id)

    # -- tasks --------------------------------------------------------------------

    def place_tasks(self, tasks: list[Any]) -> None:
        for j, task in enumerate(tasks):
            if not isinstance(task, dict) or not isinstance(task.get("task_id"), str):
                continue
            gid = task.get("task_group")
            if gid is not None and (not isinstance(gid, str) or gid not in self.groups):
                self.errors.add(
                    ("tasks", j, "task_group"),
                    f"unknown task group {gid!r}",
                    "unknown_task_group",
                )
                continue
            prefix = self.prefix(gid) if gid else ""
            full = f"{prefix}.{task['task_id']}" if prefix else task["task_id"]
            if full in self.tasks:
                self.errors.add(
                    ("tasks", j, "task_id"),
                    f"task_id {full!r} is used by tasks[{self.tasks[full][0]}] too",
                    "duplicate_task_id",
                )
                continue
            if full in self.groups:
                self.errors.add(
                    ("tasks", j, "task_id"),
                    f"task_id {full!r} is also a task group's id",
                    "duplicate_task_id",
                )
                continue
            self.tasks[full] = (j, gid)
            for g in self.chain[gid] if gid else []:
                self.members[g].add(full)

    # -- references ---------------------------------------------------------------

    def _lookup(self, ref: Any, scope: str | None, loc: tuple[Any, ...], who: str) -> _Ref | None:
        if not isinstance(ref, str):
            return None  # validation reports it
        if ref in self.groups:
            if scope is not None and ref in self.chain[scope]:
                self.errors.add(
                    loc, f"{who} is inside task group {ref!r} and cannot wait for it", "cycle"
                )
                return None
            if not self.members[ref]:
                self.errors.add(loc, f"task group {ref!r} has no tasks", "empty_task_group")
                return None
            return _Ref("group", ref)
        for g in reversed(self.chain[scope]) if scope else []:
            candidate = f"{self.prefix(g)}.{ref}" if self.prefix(g) else ref
            if candidate in self.tasks:
                return _Ref("task", candidate)
        if ref in self.tasks:
            return _Ref("task", ref)
        self.errors.add(loc, f"{who} depends on unknown task or task group {ref!r}", "unknown_task")
        return None

    def resolve(self) -> None:
        for gid, (i, group) in self.groups.items():
            refs = []
            for k, ref in enumerate(group.upstream):
                found = self._lookup(
                    ref,
                    group.parent_group,
                    ("task_groups", i, "upstream", k),
                    f"task group {gid!r}",
                )
                if found and found.kind == "task" and found.name in self.members[gid]:
                    self.errors.add(
                        ("task_groups", i, "upstream", k),
                        f"task group {gid!r} cannot wait for its own task {found.name!r}",
                        "cycle",
                    )
                elif found:
                    refs.append(found)
            self.group_refs[gid] = refs

    def _inside(self, ref: _Ref, gid: str) -> bool:
        if ref.kind == "task":
            return ref.name in self.members[gid]
        return gid in self.chain[ref.name]

    def _enclosing_below(self, full: str, gid: str) -> list[str]:
        """The groups holding task `full` that sit strictly inside `gid`."""
        own = self.tasks[full][1]
        chain = self.chain[own] if own else []
        return chain[chain.index(gid) + 1 :] if gid in chain else []

    def _roots(self, gid: str) -> set[str]:
        roots = set()
        for m in self.members[gid]:
            refs = list(self.own[m])
            for h in self._enclosing_below(m, gid):
                refs += self.group_refs[h]
            if not any(self._inside(r, gid) for r in refs):
                roots.add(m)
        return roots

    def _leaves(self, gid: str) -> list[str]:
        waited_for: set[str] = set()
        referrers = [self.own[m] for m in self.members[gid]]
        referrers += [self.group_refs[h] for h in self.groups if h != gid and gid in self.chain[h]]
        for refs in referrers:
            for r in refs:
                if self._inside(r, gid):
                    waited_for |= {r.name} if r.kind == "task" else self.members[r.name]
        return sorted(self.members[gid] - waited_for, key=lambda t: self.tasks[t][0])

    def write(self, tasks: list[Any]) -> None:
        by_index = {index: full for full, (index, _) in self.tasks.items()}
        for full, (j, gid) in self.tasks.items():
            refs = []
            raw = tasks[j].get("upstream", [])
            for k, ref in enumerate(raw if isinstance(raw, list) else []):
                found = self._lookup(ref, gid, ("tasks", j, "upstream", k), f"task {full!r}")
                if found:
                    refs.append(found)
            self.own[full] = refs
        if self.errors:
            return
        leaves = {g: self._leaves(g) for g in self.groups}
        roots = {g: self._roots(g) for g in self.groups}
        for j, full in by_index.items():
            gid = self.tasks[full][1]
            refs = list(self.own[full])
            for g in self.chain[gid] if gid else []:
                if full in roots[g]:
                    refs += self.group_refs[g]
            upstream: list[str] = []
            for r in refs:
                for name in [r.name] if r.kind == "task" else leaves[r.name]:
                    if name not in upstream:
                        upstream.append(name)
            tasks[j]["task_id"] = full
            if isinstance(tasks[j].get("upstream", []), list):  # else validation reports it
                tasks[j]["upstream"] = upstream
            tasks[j].pop("task_group", None)
