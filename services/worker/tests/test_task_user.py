"""Who tasks run as: never root unasked, and only a user the worker can switch to."""

from __future__ import annotations

import pytest

from tradewind_worker.task_user import TaskUserError, resolve


def test_a_root_worker_needs_a_task_user_or_an_explicit_yes():
    with pytest.raises(TaskUserError, match="the worker runs as root"):
        resolve(None, run_as_root=False, euid=0)
    assert resolve(None, run_as_root=True, euid=0) is None
    with pytest.raises(TaskUserError, match="'root' is root"):
        resolve("root", run_as_root=False, euid=0)


def test_an_unprivileged_worker_runs_tasks_as_itself():
    assert resolve(None, run_as_root=False, euid=1234) is None
    with pytest.raises(TaskUserError, match="needs a worker running as root"):
        resolve("nobody", run_as_root=False, euid=1234)


def test_a_named_user_is_switched_to_without_any_other_group():
    user = resolve("nobody", run_as_root=False, euid=0)
    assert user is not None and user.uid != 0
    argv = user.command(["bash", "-c", "id"])
    assert argv[-3:] == ["bash", "-c", "id"]
    assert f"--reuid={user.uid}" in argv and "--clear-groups" in argv
    with pytest.raises(TaskUserError, match="no user 'no-such-user'"):
        resolve("no-such-user", run_as_root=False, euid=0)
