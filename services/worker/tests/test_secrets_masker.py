"""Which of a task's values its log hides, and how."""

from __future__ import annotations

from tradewind_core.spec import BashTask, HttpTask, PythonTask
from tradewind_worker.secrets_masker import SecretsMasker, is_sensitive, task_secrets


def test_names_as_airflow_judges_them():
    for name in ("DB_PASSWORD", "api_key", "X-Api-Key", "Authorization", "GITHUB_TOKEN", "passwd"):
        assert is_sensitive(name), name
    for name in ("GREETING", "PATH", "user", "table"):
        assert not is_sensitive(name), name


def test_a_tasks_sensitive_values_rendered_and_raw():
    bash = BashTask(
        task_id="t",
        operator="bash",
        bash_command="true",
        env={"DB_PASSWORD": "{{ params.pw }}", "GREETING": "hello there"},
    )
    assert task_secrets(bash, {"params": {"pw": "from-params"}}) == {
        "{{ params.pw }}",
        "from-params",
    }
    http = HttpTask(
        task_id="h",
        operator="http",
        url="http://127.0.0.1/",
        headers={"Authorization": "Bearer abcdef", "Accept": "text/plain"},
        data={"nested": {"client_secret": "deep-secret"}},
    )
    assert task_secrets(http, {}) == {"Bearer abcdef", "deep-secret"}
    python = PythonTask(
        task_id="p", operator="python", python_callable="m:f", op_kwargs={"api_key": "k-12345"}
    )
    assert task_secrets(python, {}) == {"k-12345"}


def test_masking_hides_every_occurrence_and_each_line_of_a_long_secret():
    masker = SecretsMasker(["hunter2-pw", "line-one-x\nline-two-y", "abc"])
    assert masker.mask("pw=hunter2-pw twice hunter2-pwhunter2-pw") == "pw=*** twice ******"
    assert masker.mask("line-two-y") == "***"
    assert masker.mask("abc stays: too short to hide without hiding the log") == (
        "abc stays: too short to hide without hiding the log"
    )
    assert not SecretsMasker([])
    assert SecretsMasker([]).mask("anything") == "anything"
