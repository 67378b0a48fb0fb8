"""The task runner with real bash subprocesses: outcomes as Airflow's BashOperator gives
them, templates, environment, and stopping a task together with what it started."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta

from tradewind_core.spec import BashTask
from tradewind_worker.runner import RunningTask, run_bash

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
    outcome = await run_bash(task, CONTEXT, output.append, RunningTask())
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
