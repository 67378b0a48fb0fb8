from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import NoDecode

from tradewind_core.settings import CommonSettings
from tradewind_worker.task_user import TaskUser, TaskUserError
from tradewind_worker.task_user import resolve as resolve_task_user


class WorkerSettings(CommonSettings):
    worker_id: str = Field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    worker_queues: Annotated[list[str], NoDecode] = Field(
        default=["default"], description="Comma-separated worker queues to consume."
    )
    worker_concurrency: int = Field(default=16, ge=1, le=1024)
    worker_heartbeat_interval: float = Field(
        default=5.0, gt=0, description="How often the worker renews each running attempt's lease."
    )
    worker_lease_timeout: float = Field(
        default=20.0,
        gt=0,
        description="A worker that could not renew an attempt's lease for this long stops the "
        "task itself (TERM, then KILL after worker_kill_grace): it must have stopped before "
        "the dispatcher gives the attempt away after dispatcher_attempt_timeout.",
    )
    worker_kill_grace: float = Field(
        default=5.0,
        gt=0,
        description="How long a stopped task (timeout, cancel, lost lease, shutdown) has "
        "between SIGTERM and SIGKILL to its process group.",
    )
    dispatcher_attempt_timeout: float = Field(
        default=30.0,
        gt=0,
        description="The dispatcher's setting of the same name (its lost-worker timeout), "
        "checked here against the worker's give-up time.",
    )
    worker_log_flush_interval: float = Field(default=0.5, gt=0)
    worker_http_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="Port of the worker's HTTP surface: /health/live, /health/ready, "
        "/metrics and its slots and running tasks (0: not served, so several workers on "
        "one host bind nothing unasked; 8093 in the shipped deployments). Standalone "
        "serves it on the api's port under /services/worker.",
    )
    task_log_max_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=1024,
        le=1024 * 1024 * 1024,
        description="Most log text kept per try; the rest is cut, and the log says so.",
    )
    worker_shutdown_grace: float = Field(
        default=60.0,
        ge=0,
        description="On SIGTERM, how long running tasks may take to finish; a second "
        "SIGTERM stops them at once.",
    )

    worker_python_spares: int = Field(
        default=2,
        ge=0,
        le=64,
        description="Python interpreters kept started and waiting, so python tasks start at "
        "once (0: each task starts its own).",
    )
    worker_python_preload: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="Comma-separated modules the spare interpreters import ahead of tasks "
        "(e.g. pandas), so tasks do not pay for them.",
    )
    worker_code_cache_dir: Path | None = Field(
        default=None,
        description="Where code bundles are unpacked (default: code-bundles under home).",
    )
    worker_run_tasks_as_root: bool = Field(
        default=False,
        description="Let a worker running as root run tasks as root when worker_task_user "
        "is unset. Not for production: a task running as root can read the worker's "
        "secrets and take over its host.",
    )
    worker_task_user: str | None = Field(
        default=None,
        validate_default=True,
        description="The unprivileged user (name or uid) tasks run as, with its primary "
        "group and no other; the worker must run as root to switch to it. Unset: tasks "
        "run as the worker's own user, which a worker running as root refuses unless "
        "worker_run_tasks_as_root is set. The user needs read access to the code cache "
        "(worker_code_cache_dir) for python tasks with code.",
    )
    worker_http_response_max_bytes: int = Field(
        default=1024 * 1024,
        ge=0,
        le=16 * 1024 * 1024,
        description="An http task's response body beyond this is cut before it becomes XCom.",
    )

    @field_validator("worker_python_preload", mode="before")
    @classmethod
    def _module_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [m.strip() for m in value.split(",") if m.strip()]
        return value

    def code_cache_dir(self) -> Path:
        return (self.worker_code_cache_dir or self.home / "code-bundles").expanduser()

    @field_validator("worker_queues", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [q.strip() for q in value.split(",") if q.strip()]
        return value

    @field_validator("worker_queues")
    @classmethod
    def _some_queue(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("name at least one queue")
        return value

    @field_validator("worker_task_user")
    @classmethod
    def _possible_task_user(cls, value: str | None, info: ValidationInfo) -> str | None:
        """A clear error at start when tasks would run as root unasked, or the switch to
        the named user cannot be made."""
        try:
            resolve_task_user(value, run_as_root=info.data.get("worker_run_tasks_as_root", False))
        except TaskUserError as exc:
            raise ValueError(str(exc)) from None
        return value

    def task_user(self) -> TaskUser | None:
        """Who tasks run as; None: the worker's own user."""
        return resolve_task_user(self.worker_task_user, run_as_root=self.worker_run_tasks_as_root)

    @model_validator(mode="after")
    def _gives_up_before_the_dispatcher(self) -> WorkerSettings:
        gives_up = self.worker_lease_timeout + self.worker_kill_grace
        if gives_up >= self.dispatcher_attempt_timeout:
            raise ValueError(
                f"worker_lease_timeout + worker_kill_grace ({gives_up:g}s) must be below "
                f"dispatcher_attempt_timeout ({self.dispatcher_attempt_timeout:g}s): a worker "
                "cut off from the dispatcher must stop its task before the task is retried"
            )
        if self.worker_heartbeat_interval >= self.worker_lease_timeout:
            raise ValueError(
                f"worker_heartbeat_interval ({self.worker_heartbeat_interval:g}s) must be "
                f"below worker_lease_timeout ({self.worker_lease_timeout:g}s)"
            )
        return self
