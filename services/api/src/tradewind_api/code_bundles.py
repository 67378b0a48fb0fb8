"""Code bundles: stored with the DAG version that brought them, served by hash to the
dispatcher (which serves workers). A hash names one content forever."""

from __future__ import annotations

import grpc
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind.catalog.v1 import bundles_pb2, bundles_pb2_grpc
from tradewind_api.models import CodeBundle
from tradewind_core.db import Database
from tradewind_core.errors import InvalidArgument, NotFound
from tradewind_core.grpc_server import maps_domain_errors
from tradewind_core.spec import CodeBundle as CodeBundleSpec
from tradewind_core.timeutil import utcnow


async def store_bundle(session: AsyncSession, bundle: CodeBundleSpec) -> str:
    code_hash = bundle.content_hash()
    if await session.get(CodeBundle, code_hash) is None:
        session.add(
            CodeBundle(
                code_hash=code_hash,
                files=dict(bundle.files),
                size_bytes=sum(len(s.encode()) for s in bundle.files.values()),
                created_at=utcnow(),
            )
        )
    return code_hash


async def get_bundle(session: AsyncSession, code_hash: str) -> CodeBundle:
    bundle = await session.get(CodeBundle, code_hash)
    if bundle is None:
        raise NotFound(f"no code bundle has hash {code_hash!r}")
    return bundle


class CodeBundleServicer(bundles_pb2_grpc.CodeBundleServiceServicer):
    def __init__(self, db: Database) -> None:
        self._db = db

    @maps_domain_errors
    async def GetCodeBundle(self, request, context: grpc.aio.ServicerContext):
        if len(request.code_hash) != 64:
            raise InvalidArgument("code_hash must be a SHA-256 hex digest")
        async with self._db.reader() as session:
            bundle = await get_bundle(session, request.code_hash)
        return bundles_pb2.GetCodeBundleResponse(code_hash=bundle.code_hash, files=bundle.files)
