"""DAG versions, fetched from the api's catalog and cached for good: versions never change."""

from __future__ import annotations

import asyncio
import json

import grpc

from tradewind.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from tradewind_core.errors import NotFound, Unavailable
from tradewind_core.grpc_server import channel
from tradewind_core.internal_auth import Secret
from tradewind_core.spec import DagSpec, parse_dag_spec


class DagVersionCache:
    def __init__(self, api_grpc_address: str, *, internal_secret: Secret | None) -> None:
        self._channel = channel(api_grpc_address, internal_secret=internal_secret)
        self._stub = catalog_pb2_grpc.DagCatalogServiceStub(self._channel)
        self._specs: dict[str, DagSpec] = {}
        self._lock = asyncio.Lock()

    async def get(self, dag_version_id: str) -> DagSpec:
        spec = self._specs.get(dag_version_id)
        if spec is not None:
            return spec
        async with self._lock:
            if dag_version_id not in self._specs:
                self._specs[dag_version_id] = await self._fetch(dag_version_id)
        return self._specs[dag_version_id]

    async def _fetch(self, dag_version_id: str) -> DagSpec:
        request = catalog_pb2.GetDagVersionRequest(dag_version_id=dag_version_id)
        try:
            reply = await self._stub.GetDagVersion(request, timeout=10)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                raise NotFound(f"DAG version {dag_version_id} does not exist") from None
            raise Unavailable(f"api catalog: {exc.code().name}: {exc.details()}") from None
        return parse_dag_spec(json.loads(reply.spec_json))

    async def close(self) -> None:
        await self._channel.close()
