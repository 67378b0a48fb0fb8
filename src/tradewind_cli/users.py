"""`tradewind users …`: manage who may sign in, straight in the api's database (works
while the api is down, e.g. to reset a lost admin password)."""

from __future__ import annotations

import asyncio
import getpass
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

T = TypeVar("T")
app = typer.Typer(help="Manage users: create, list, delete, reset-password.", no_args_is_help=True)


def _with_directory(work: Callable[..., Awaitable[T]]) -> T:
    from tradewind_api import main as api_main
    from tradewind_api.auth.directory import Directory
    from tradewind_api.settings import ApiSettings
    from tradewind_cli.main import _settings
    from tradewind_core.db import Database
    from tradewind_core.errors import TradewindError

    settings = _settings(ApiSettings)

    async def run() -> T:
        db = Database(settings.database_url_for("api"), schema=settings.schema_for("api"))
        try:
            await db.migrate(Path(api_main.MIGRATIONS))
            return await work(Directory(db))
        finally:
            await db.dispose()

    try:
        return asyncio.run(run())
    except TradewindError as exc:
        typer.echo(f"tradewind users: {exc.detail}", err=True)
        raise typer.Exit(1) from None


def _password(given: str | None, generate: bool) -> tuple[str, bool]:
    from tradewind_api.auth.passwords import generate_password

    if given:
        return given, False
    if generate:
        return generate_password(), True
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat it: "):
        typer.echo("tradewind users: the passwords differ; nothing was changed", err=True)
        raise typer.Exit(1)
    return first, False


@app.command()
def create(
    username: str,
    role: Annotated[str, typer.Option(help="Viewer, User, Op or Admin.")] = "Viewer",
    password: Annotated[
        str | None, typer.Option(envvar="TRADEWIND_NEW_USER_PASSWORD", help="Else asked for.")
    ] = None,
    generate_password: Annotated[bool, typer.Option(help="Make and print one.")] = False,
) -> None:
    """Create a user with a role."""
    secret, made = _password(password, generate_password)
    _with_directory(lambda d: d.create_user(username, secret, role))
    typer.echo(f"created {username} ({role})" + (f" with password {secret}" if made else ""))


@app.command("list")
def list_users() -> None:
    """Every user, with their role and DAG grants."""
    found = _with_directory(lambda d: d.list_users())
    for user, grants in found:
        scope = "; ".join(
            f"{'dag ' + g.dag_id if g.dag_id else 'tag ' + str(g.tag)}: {g.actions}" for g in grants
        )
        typer.echo(f"{user.username}\t{user.role}\t{scope or 'every DAG'}")


@app.command()
def delete(username: str) -> None:
    """Delete a user and their API tokens (the last Admin stays)."""
    _with_directory(lambda d: d.delete_user(username))
    typer.echo(f"deleted {username}")


@app.command("reset-password")
def reset_password(
    username: str,
    password: Annotated[
        str | None, typer.Option(envvar="TRADEWIND_NEW_USER_PASSWORD", help="Else asked for.")
    ] = None,
    generate_password: Annotated[bool, typer.Option(help="Make and print one.")] = False,
) -> None:
    """Set a new password; the user's access tokens stop working."""
    secret, made = _password(password, generate_password)
    _with_directory(lambda d: d.update_user(username, password=secret))
    typer.echo(f"reset the password of {username}" + (f" to {secret}" if made else ""))
