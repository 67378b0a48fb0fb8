"""Who a task runs as. Tasks are other people's code: run as the worker's own user they
could read its configuration (the internal secret, broker and database passwords, from
/proc) and, as root, take the host. So a worker running as root switches each task to
TRADEWIND_WORKER_TASK_USER, and refuses to start without one unless
TRADEWIND_WORKER_RUN_TASKS_AS_ROOT says root is meant."""

from __future__ import annotations

import os
import pwd
import shutil
from dataclasses import dataclass
from pathlib import Path

SETPRIV = "setpriv"


class TaskUserError(ValueError):
    pass


@dataclass(frozen=True)
class TaskUser:
    name: str
    uid: int
    gid: int
    home: str

    def command(self, argv: list[str]) -> list[str]:
        """`argv` run as this user, with its group and none of the worker's supplementary
        groups (root's among them). setpriv switches after exec: subprocess's own user=
        would fork the worker (no vfork when switching users), and a fork of a process
        running gRPC's threads can crash in gRPC's fork handlers before the exec."""
        return [
            SETPRIV,
            f"--reuid={self.uid}",
            f"--regid={self.gid}",
            "--clear-groups",
            "--",
            *argv,
        ]

    def environment(self) -> dict[str, str]:
        return {"HOME": self.home, "USER": self.name, "LOGNAME": self.name}

    def give(self, path: str | Path) -> None:
        """Makes a folder the worker prepared for a task (its scratch) the task's own."""
        os.chown(path, self.uid, self.gid)


def _lookup(user: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwuid(int(user)) if user.isdigit() else pwd.getpwnam(user)
    except KeyError:
        raise TaskUserError(f"no user {user!r} on this host") from None


def resolve(user: str | None, *, run_as_root: bool, euid: int | None = None) -> TaskUser | None:
    """The user to switch tasks to; None when tasks run as the worker's own user."""
    euid = os.geteuid() if euid is None else euid
    if not user:
        if euid == 0 and not run_as_root:
            raise TaskUserError(
                "the worker runs as root, so its tasks would too: set it to the "
                "unprivileged user tasks run as (e.g. tradewind), or set "
                "TRADEWIND_WORKER_RUN_TASKS_AS_ROOT=true if root is meant"
            )
        return None
    entry = _lookup(user)
    if entry.pw_uid == 0 and not run_as_root:
        raise TaskUserError(
            f"{user!r} is root: name an unprivileged user, or set "
            "TRADEWIND_WORKER_RUN_TASKS_AS_ROOT=true if root is meant"
        )
    if entry.pw_uid == euid:
        return None  # already that user: nothing to switch
    if euid != 0:
        raise TaskUserError(
            f"running tasks as {user!r} needs a worker running as root (it runs as uid "
            f"{euid}); unset it to run tasks as the worker's own user"
        )
    if shutil.which(SETPRIV) is None:
        raise TaskUserError(f"running tasks as {user!r} needs setpriv (from util-linux)")
    return TaskUser(entry.pw_name, entry.pw_uid, entry.pw_gid, entry.pw_dir)
