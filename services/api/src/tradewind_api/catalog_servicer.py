"""DagCatalogService: the scheduler reads DAG versions here (and caches them for good)."""

from __future__ import annotations

import json

import grpc

from tradewind.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from tradewind_api.dags import get_version
from tradewind_core.db import Database
from tradewind_core.grpc_server import maps_domain_errors


class DagCatalogServicer(catalog_pb2_grpc.DagCatalogServiceServicer):
    def __init__(self, db: Database) -> None:
        self._db = db

    @maps_domain_errors
    async def GetDagVersion(self, request, context: grpc.aio.ServicerContext):
        async with self._db.reader() as session:
            version = await get_version(session, request.dag_version_id)
        return catalog_pb2.GetDagVersionResponse(
            dag_version_id=version.id,
            dag_id=version.dag_id,
            version_number=version.version_number,
            spec_json=json.dumps(version.spec, sort_keys=True),
        )
