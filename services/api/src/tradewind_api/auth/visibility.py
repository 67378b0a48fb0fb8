"""What a route shows a caller whose DAG grants narrow what it may see: lists leave out
the DAGs it may not read (in their counts too), and a DAG named in a body is checked like
one named in the path."""

from __future__ import annotations

from fastapi import Request

from tradewind_api.auth.access import HiddenDag, check_dag
from tradewind_api.auth.principal import Principal
from tradewind_api.context import AppContext
from tradewind_core.errors import NotFound


def caller(request: Request) -> Principal | None:
    # None only in an app built without a context (the OpenAPI dump), which serves nothing.
    return getattr(request.state, "principal", None)


async def visible_dag_ids(
    request: Request, ctx: AppContext, action: str = "read"
) -> set[str] | None:
    """The DAG ids the caller may `action`, or None for every DAG."""
    principal = caller(request)
    if principal is None:
        return None
    return await ctx.directory.visible_dag_ids(principal, action)


def narrowed(requested: list[str] | None, visible: set[str] | None) -> list[str] | None:
    """A filter by DAG ids (None or empty: every DAG) narrowed to what may be seen; an
    empty list then means "nothing", so callers must check for it before asking."""
    if visible is None:
        return requested
    if not requested:
        return sorted(visible)
    return [d for d in requested if d in visible]


async def require_dag(request: Request, ctx: AppContext, dag_id: str, action: str) -> None:
    principal = caller(request)
    if principal is None:
        return
    try:
        await check_dag(ctx, principal, dag_id, action)
    except HiddenDag as exc:
        raise NotFound(str(exc)) from None
