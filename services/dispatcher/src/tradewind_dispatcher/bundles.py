"""Code bundles for workers: the api stores them; the dispatcher serves the same
CodeBundleService to workers, asking the api once per hash and keeping recent bundles in
memory. A hash names one content forever, so nothing here ever goes stale."""

from __future__ import annotations

from collections import OrderedDict

import grpc

from tradewind.catalog.v1 import bundles_pb2, bundles_pb2_grpc
from tradewind_core.errors import InvalidArgument, NotFound, Unavailable
from tradewind_core.grpc_server import channel, maps_domain_errors
from tradewind_core.internal_auth import Secret


class CodeBundleProxy(bundles_pb2_grpc.CodeBundleServiceServicer):
    def __init__(
        self, api_address: str, *, cache_size: int, internal_secret: Secret | None
    ) -> None:
        self._channel = channel(api_address, internal_secret=internal_secret)
        self._api = bundles_pb2_grpc.CodeBundleServiceStub(self._channel)
        self._cache: OrderedDict[str, bundles_pb2.GetCodeBundleResponse] = OrderedDict()
        self._cache_size = cache_size

    @maps_domain_errors
    async def GetCodeBundle(self, request, context: grpc.aio.ServicerContext):
        code_hash = request.code_hash
        if len(code_hash) != 64:
            raise InvalidArgument("code_hash must be a SHA-256 hex digest")
        cached = self._cache.get(code_hash)
        if cached is not None:
            self._cache.move_to_end(code_hash)
            return cached
        try:
            reply = await self._api.GetCodeBundle(request, timeout=10)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                raise NotFound(exc.details() or f"no code bundle has hash {code_hash}") from None
            raise Unavailable(f"the api cannot be reached: {exc.details()}") from None
        if self._cache_size:
            self._cache[code_hash] = reply
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return reply

    async def close(self) -> None:
        await self._channel.close()
