"""The `tradewind` command: start any one service, or all of them standalone.

This package is the composition root: the only code that imports more than one service.
"""

from __future__ import annotations

import asyncio
import functools
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typer
from pydantic import ValidationError

from tradewind_core.logging import configure_logging
from tradewind_core.settings import CommonSettings

app = typer.Typer(
    help="Tradewind: a workflow orchestrator. Configure with TRADEWIND_* environment variables.",
    no_args_is_help=True,
    add_completion=False,
)
S = TypeVar("S", bound=CommonSettings)


def _settings(cls: Callable[..., S], **overrides: object) -> S:
    try:
        return cls(**overrides)
    except ValidationError as exc:
        lines = [
            f"  TRADEWIND_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        ]
        typer.echo("Invalid configuration:\n" + "\n".join(lines), err=True)
        raise typer.Exit(2) from None


def _run(service: str, settings: CommonSettings, *services) -> None:
    from tradewind_core.lifecycle import serve_until_signalled

    configure_logging(level=settings.log_level, fmt=settings.log_format, service=service)
    try:
        asyncio.run(serve_until_signalled(*services))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        typer.echo(f"tradewind {service}: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        # Stopped: the loop has handed SIGTERM back to its default, and a supervisor that
        # repeats its SIGTERM while the interpreter winds down would turn a clean exit
        # into a kill.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


@app.command()
def api() -> None:
    """The REST API on TRADEWIND_API_HOST:TRADEWIND_API_PORT and the DAG catalog (gRPC)."""
    from tradewind_api.main import serve
    from tradewind_api.settings import ApiSettings

    settings = _settings(ApiSettings)
    _run("api", settings, functools.partial(serve, settings))


@app.command()
def scheduler() -> None:
    """Creates runs and decides which task instances are ready."""
    from tradewind_scheduler.main import serve
    from tradewind_scheduler.settings import SchedulerSettings

    settings = _settings(SchedulerSettings)
    _run("scheduler", settings, functools.partial(serve, settings))


@app.command()
def dispatcher() -> None:
    """Hands tasks to workers through the broker; records attempts and logs."""
    from tradewind_dispatcher.main import serve
    from tradewind_dispatcher.settings import DispatcherSettings

    settings = _settings(DispatcherSettings)
    _run("dispatcher", settings, functools.partial(serve, settings))


@app.command()
def worker() -> None:
    """Runs tasks from TRADEWIND_WORKER_QUEUES (default: default)."""
    from tradewind_worker.main import serve
    from tradewind_worker.settings import WorkerSettings

    settings = _settings(WorkerSettings)
    _run("worker", settings, functools.partial(serve, settings))


@app.command()
def standalone() -> None:
    """Everything in one process: SQLite files under TRADEWIND_HOME, an in-process broker,
    and tasks run as subprocesses of this process. No server to install."""
    from tradewind_api.main import serve as serve_api
    from tradewind_api.settings import ApiSettings
    from tradewind_core.broker import InMemoryBroker
    from tradewind_core.settings import local_socket_address
    from tradewind_core.surfaces import ServiceSurfaces
    from tradewind_dispatcher.main import serve as serve_dispatcher
    from tradewind_dispatcher.settings import DispatcherSettings
    from tradewind_scheduler.main import serve as serve_scheduler
    from tradewind_scheduler.settings import SchedulerSettings
    from tradewind_worker.main import serve as serve_worker
    from tradewind_worker.settings import WorkerSettings

    configured = _settings(ApiSettings)
    home = configured.home
    _hold_home(home)
    # Only the public ports are bound: the services reach each other over Unix sockets
    # under TRADEWIND_HOME, so instances with their own homes and ports run side by side.
    local = {
        "broker_url": "memory://",
        "api_grpc_address": local_socket_address(home, "api"),
        "scheduler_address": local_socket_address(home, "scheduler"),
        "dispatcher_address": local_socket_address(home, "dispatcher"),
    }
    api_settings = _settings(ApiSettings, **local)
    broker = InMemoryBroker()
    # The services' own HTTP surfaces go on the api's port, under /services/<name>.
    surfaces = ServiceSurfaces()
    typer.echo(
        f"Tradewind standalone: http://{api_settings.api_host}:{api_settings.api_port}/docs "
        f"(data in {api_settings.home})",
        err=True,
    )
    _run(
        "standalone",
        api_settings,
        # The public gRPC API stays where the user configured it (a public port).
        functools.partial(
            serve_api,
            api_settings,
            public_grpc_address=configured.api_grpc_address,
            surfaces=surfaces,
        ),
        functools.partial(
            serve_scheduler, _settings(SchedulerSettings, **local), surfaces=surfaces
        ),
        functools.partial(
            serve_dispatcher,
            _settings(DispatcherSettings, **local),
            broker=broker,
            surfaces=surfaces,
        ),
        functools.partial(
            serve_worker,
            _settings(WorkerSettings, worker_id="standalone", **local),
            broker=broker,
            surfaces=surfaces,
        ),
    )


@app.command("rotate-fernet-key")
def rotate_fernet_key() -> None:
    """Re-encrypts every stored secret (connection passwords and extras, variable values)
    with the first key of TRADEWIND_FERNET_KEY. To rotate: set it to "NEW,OLD", run this,
    then set it to "NEW"."""
    from tradewind_api.secret_rotation import rotate_secrets
    from tradewind_api.secrets import SecretsError
    from tradewind_api.settings import ApiSettings

    settings = _settings(ApiSettings)
    try:
        rotated = asyncio.run(rotate_secrets(settings))
    except SecretsError as exc:
        typer.echo(f"tradewind rotate-fernet-key: {exc}; nothing was changed", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"re-encrypted {rotated.variables} variables and {rotated.connections} connections")


def _add_user_commands() -> None:
    from tradewind_cli.users import app as users

    app.add_typer(users, name="users")


_add_user_commands()


def _hold_home(home: Path) -> None:
    """One standalone per TRADEWIND_HOME: a second would share the first one's SQLite files
    and sockets. The lock goes with the process, however it ends."""
    import fcntl

    home.mkdir(parents=True, exist_ok=True)
    lock = open(home / "standalone.lock", "w")  # noqa: SIM115  held for the process's life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        typer.echo(
            f"tradewind standalone: another standalone is running with TRADEWIND_HOME={home}; "
            "give this one its own TRADEWIND_HOME and TRADEWIND_API_PORT",
            err=True,
        )
        raise typer.Exit(1) from None
    _held.append(lock)


_held: list[object] = []


def main() -> None:
    # Until a service's event loop installs its own handlers, SIGTERM interrupts start-up
    # like Ctrl-C does, so a process stopped while starting still exits cleanly.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    app(prog_name="tradewind")


if __name__ == "__main__":
    sys.exit(main())
