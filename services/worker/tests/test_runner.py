"""The task runner with real bash subprocesses: outcomes as Airflow's BashOperator gives
them, templates, environment, and stopping a task together with what it started."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta

from tradewind_core.spec import BashTask
from tradewind_worker.runner import (
    RunningTask,
    inheritable_environment,
    run_bash,
    task_environment,
)

CONTEXT = {
    "dag_id": "d",
    "run_id": "r1",
    "ds": "2026-11-22",
    "logical_date": None,
    "params": {"table": "sales"},
    "task": {"task_id": "t"},
    "ti": {"try_number": 2},
    "dag_run": {"conf": {"who": "me"}},
}


async def run(command: str, **fields) -> tuple[str, str, int, str]:
    task = BashTask(task_id="t", operator="bash", bash_command=command, **fields)
    output: list[str] = []
    outcome = await run_bash(
        task, CONTEXT, lambda line, _stream: output.append(line), RunningTask()
    )
    return outcome.state, "".join(output), outcome.exit_code, outcome.reason


async def test_output_is_streamed_and_templates_rendered():
    state, output, code, _ = await run("echo {{ ds }} {{ params.table }} {{ dag_run.conf.who }}")
    assert (state, output, code) == ("success", "2026-11-22 sales me\n", 0)


async def test_exit_codes_map_to_outcomes():
    assert (await run("exit 3"))[0::2] == ("failed", 3)
    assert "exited with code 3" in (await run("exit 3"))[3]
    assert (await run("exit 99"))[0] == "skipped"
    assert (await run("exit 4", skip_on_exit_code=[4, 5]))[0] == "skipped"


async def test_an_undefined_template_name_fails_the_task_before_it_runs(tmp_path):
    marker = tmp_path / "ran"
    state, _, _, reason = await run(f"touch {marker} {{{{ nope }}}}")
    assert state == "failed" and "'nope' is undefined" in reason
    assert not marker.exists()


async def test_env_and_cwd_are_templated_and_context_is_exported(tmp_path):
    (tmp_path / "t").mkdir()
    state, output, _, _ = await run(
        'echo "$GREETING" "$(pwd)" "$AIRFLOW_CTX_DAG_RUN_ID" "$TRADEWIND_CTX_TRY_NUMBER"',
        env={"GREETING": "hi {{ params.table }}"},
        cwd=str(tmp_path) + "/{{ task.task_id }}",
    )
    assert state == "success"
    assert output == f"hi sales {tmp_path / 't'} r1 2\n"


async def test_env_replaces_the_environment_unless_appended():
    _, output, _, _ = await run('echo "[$HOME]"', env={"X": "1"}, append_env=False)
    assert output == "[]\n"
    _, output, _, _ = await run('echo "[$HOME]"', env={"X": "1"})
    assert output == f"[{os.environ['HOME']}]\n"


async def test_execution_timeout_stops_the_task_and_its_children(tmp_path):
    pidfile = tmp_path / "child.pid"
    state, _, _, reason = await run(
        f"sleep 60 & echo $! > {pidfile}; wait", execution_timeout=timedelta(seconds=0.5)
    )
    assert state == "failed" and "execution_timeout of 0.5s exceeded" in reason
    child = int(pidfile.read_text())
    await asyncio.sleep(0.2)
    assert not _alive(child), "the task's child process outlived the task"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:  # a zombie awaiting its reaper is gone too
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:  # reaped in between
        return False


async def test_a_line_longer_than_64_kib_is_logged_in_pieces_and_the_task_ends():
    # Before, the reader raised on such a line: the task never reported and its slot leaked.
    state, output, code, _ = await run(
        "head -c 200000 /dev/zero | tr '\\0' x; echo; echo after",
        execution_timeout=timedelta(seconds=30),
    )
    assert (state, code) == ("success", 0)
    assert output.count("x") == 200000 and output.endswith("\nafter\n")


async def test_every_failure_to_start_fails_the_try_with_its_reason(tmp_path):
    marker = tmp_path / "ran"
    cases = {
        "{{ 1/0 }}": ({}, "ZeroDivisionError"),
        "{{ params.table.nope() }}": ({}, "cannot render"),
        "true": ({"env": {"X": "a\x00b"}}, "cannot start the task: ValueError"),
        "true ": ({"cwd": str(tmp_path / "missing")}, "cannot start the task: FileNotFoundError"),
        "true  ": ({"env": {"PATH": "/nowhere"}, "append_env": False}, "cannot start the task"),
    }
    for command, (fields, why) in cases.items():
        state, _, code, reason = await run(f"touch {marker}; {command}", **fields)
        assert (state, code) == ("failed", -1) and why in reason, (command, reason)
    assert not marker.exists()


async def test_a_stop_escalates_to_sigkill_after_the_grace(tmp_path):
    pidfile = tmp_path / "child.pid"
    task = BashTask(
        task_id="t",
        operator="bash",
        bash_command=f"trap '' TERM; sleep 60 & echo $! > {pidfile}; wait; wait",
    )
    handle = RunningTask(kill_grace=0.5)
    running = asyncio.create_task(run_bash(task, CONTEXT, lambda _line, _stream: None, handle))
    for _ in range(250):
        if pidfile.exists() and pidfile.read_text().strip():
            break
        await asyncio.sleep(0.02)
    handle.stop("cancelled")
    outcome = await asyncio.wait_for(running, timeout=5)
    assert outcome.state == "failed" and outcome.reason == "cancelled"
    assert outcome.exit_code == -9  # TERM was ignored; KILL was not
    await asyncio.sleep(0.2)
    assert not _alive(int(pidfile.read_text()))


async def test_what_a_task_starts_in_the_background_ends_with_it(tmp_path):
    pidfile = tmp_path / "child.pid"
    state, _, _, _ = await run(f"(sleep 60 >/dev/null 2>&1 &  echo $! > {pidfile})")
    assert state == "success"
    await asyncio.sleep(0.3)
    assert not _alive(int(pidfile.read_text()))


def test_the_workers_own_configuration_is_not_inherited():
    environ = {
        "HOME": "/home/me",
        "TRADEWIND_BROKER_URL": "amqp://u:secret@mq/",
        "TRADEWIND_CTX_DAG_ID": "stale",
        "AIRFLOW_CTX_DAG_ID": "stale",
        "CELERY_BROKER": "amqp://u:secret@mq/",
        "DB": "postgresql+asyncpg://u:pw@db/x",
    }
    inherited = inheritable_environment(
        environ, secrets=("amqp://u:secret@mq/", "postgresql+asyncpg://u:pw@db/x")
    )
    assert inherited == {"HOME": "/home/me"}
    env = task_environment(
        BashTask(task_id="t", operator="bash", bash_command="env"), CONTEXT, inherited
    )
    assert env["HOME"] == "/home/me" and env["TRADEWIND_CTX_DAG_ID"] == "d"
    assert not [k for k in env if k.startswith("TRADEWIND_") and "_CTX_" not in k]


async def test_each_line_says_which_stream_it_came_from():
    task = BashTask(task_id="t", operator="bash", bash_command="echo out; echo err >&2; echo more")
    lines: list[tuple[str, str]] = []
    outcome = await run_bash(
        task, CONTEXT, lambda line, stream: lines.append((stream, line)), RunningTask()
    )
    assert outcome.state == "success"
    assert [line for line in lines if line[0] == "stdout"] == [
        ("stdout", "out\n"),
        ("stdout", "more\n"),
    ]
    assert [line for line in lines if line[0] == "stderr"] == [("stderr", "err\n")]
