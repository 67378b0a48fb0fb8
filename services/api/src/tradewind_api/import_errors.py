"""Import errors: DAG specs that were refused, kept per DAG id so people can see why (the
newest refusal of each), and cleared when a good spec for that DAG is stored. Listed at
`/api/v2/importErrors` in Airflow 3's shapes."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind_api.auth.visibility import visible_dag_ids
from tradewind_api.context import AppContext, get_context
from tradewind_api.dag_files import spec_location
from tradewind_api.models import ImportError as ImportErrorRow
from tradewind_api.ordering import order_by_clause
from tradewind_core.errors import NotFound
from tradewind_core.logging import get_logger
from tradewind_core.spec import ID_PATTERN, DagSpecError, field_path
from tradewind_core.timeutil import as_utc, utcnow

router = APIRouter(prefix="/api/v2/importErrors", tags=["Import Error"])
Ctx = Annotated[AppContext, Depends(get_context)]
log = get_logger(__name__)
# The stack trace kept for one refusal is cut at this many characters.
MAX_TRACE = 64 * 1024
ORDERABLE = {
    "id": ImportErrorRow.id,
    "import_error_id": ImportErrorRow.id,
    "timestamp": ImportErrorRow.timestamp,
    "filename": ImportErrorRow.filename,
}


class ImportErrorResponse(BaseModel):
    import_error_id: int
    timestamp: datetime
    filename: str
    bundle_name: str | None = None
    stack_trace: str


class ImportErrorCollectionResponse(BaseModel):
    import_errors: list[ImportErrorResponse]
    total_entries: int


def refused_dag_id(document: Any) -> str | None:
    """The DAG a refused spec was for, when it names one that could be a DAG id."""
    if not isinstance(document, dict):
        return None
    dag_id = document.get("dag_id")
    if isinstance(dag_id, str) and re.fullmatch(ID_PATTERN, dag_id) and len(dag_id) <= 250:
        return dag_id
    return None


def _trace(error: DagSpecError) -> str:
    lines = [f"{field_path(e['loc']) or '(body)'}: {e['msg']}" for e in error.errors]
    return "\n".join(lines)[:MAX_TRACE]


async def record_refusal(ctx: AppContext, dag_id: str, error: DagSpecError) -> None:
    """Keeps why this DAG's spec was refused, in place of any earlier refusal."""
    try:
        async with ctx.db.transaction() as session:
            await session.execute(delete(ImportErrorRow).where(ImportErrorRow.dag_id == dag_id))
            session.add(
                ImportErrorRow(
                    timestamp=utcnow(),
                    filename=spec_location(dag_id),
                    dag_id=dag_id,
                    stacktrace=_trace(error),
                )
            )
    except Exception:
        # The person still gets the 422 explaining the refusal; only the record is lost.
        log.error("import error record failed", dag_id=dag_id, exc_info=True)


async def clear_refusals(session: AsyncSession, dag_id: str) -> None:
    await session.execute(delete(ImportErrorRow).where(ImportErrorRow.dag_id == dag_id))


def _response(row: ImportErrorRow) -> ImportErrorResponse:
    return ImportErrorResponse(
        import_error_id=row.id,
        timestamp=as_utc(row.timestamp),
        filename=row.filename,
        stack_trace=row.stacktrace,
    )


@router.get(
    "",
    operation_id="get_import_errors",
    summary="List refused DAG specs and why",
    response_model=ImportErrorCollectionResponse,
)
async def get_import_errors(
    request: Request,
    ctx: Ctx,
    limit: Annotated[int, Query(ge=0, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    order_by: Annotated[list[str] | None, Query(description="id, timestamp or filename.")] = None,
    filename_pattern: Annotated[
        str | None, Query(max_length=1024, description="SQL LIKE pattern; % and _ match.")
    ] = None,
) -> ImportErrorCollectionResponse:
    query = select(ImportErrorRow)
    if (visible := await visible_dag_ids(request, ctx)) is not None:
        query = query.where(ImportErrorRow.dag_id.in_(visible))
    if filename_pattern:
        query = query.where(ImportErrorRow.filename.like(f"%{filename_pattern}%"))
    order = order_by_clause(order_by or ["id"], ORDERABLE, ImportErrorRow.id)
    async with ctx.db.reader() as session:
        total = await session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await session.scalars(query.order_by(*order).limit(limit).offset(offset))
        return ImportErrorCollectionResponse(
            import_errors=[_response(r) for r in rows], total_entries=total or 0
        )


@router.get(
    "/{import_error_id}",
    operation_id="get_import_error",
    summary="Get one refused DAG spec's errors",
    response_model=ImportErrorResponse,
)
async def get_import_error(
    request: Request, import_error_id: Annotated[int, Path(ge=1, le=2**63 - 1)], ctx: Ctx
) -> ImportErrorResponse:
    visible = await visible_dag_ids(request, ctx)
    async with ctx.db.reader() as session:
        row = await session.get(ImportErrorRow, import_error_id)
        if row is None or (visible is not None and row.dag_id not in visible):
            raise NotFound(
                f"The ImportError with import_error_id: `{import_error_id}` was not found"
            )
        return _response(row)
