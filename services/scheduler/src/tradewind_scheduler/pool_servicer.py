"""PoolService: proto in, domain call, proto out."""

from __future__ import annotations

import grpc

from tradewind.scheduler.v1 import pools_pb2, pools_pb2_grpc
from tradewind_core.db import Database
from tradewind_core.errors import InvalidArgument
from tradewind_core.grpc_server import maps_domain_errors
from tradewind_scheduler import pools
from tradewind_scheduler.pools import PoolUsage

MAX_PAGE = 1000
MUTABLE = ("slots", "description", "include_deferred")


def pool_to_proto(usage: PoolUsage) -> pools_pb2.Pool:
    pool = usage.pool
    return pools_pb2.Pool(
        name=pool.name,
        slots=pool.slots,
        description=pool.description or "",
        has_description=pool.description is not None,
        include_deferred=pool.include_deferred,
        occupied_slots=usage.occupied,
        running_slots=usage.running,
        queued_slots=usage.queued,
        scheduled_slots=usage.scheduled,
        deferred_slots=usage.deferred,
        open_slots=usage.open,
    )


def _description(pool: pools_pb2.Pool) -> str | None:
    return pool.description if pool.has_description or pool.description else None


class PoolServicer(pools_pb2_grpc.PoolServiceServicer):
    def __init__(self, db: Database) -> None:
        self._db = db

    @maps_domain_errors
    async def ListPools(self, request, context: grpc.aio.ServicerContext):
        if not 0 <= request.limit <= MAX_PAGE or request.offset < 0:
            raise InvalidArgument(f"limit must be 0 to {MAX_PAGE} and offset 0 or more")
        async with self._db.reader() as session:
            found, total = await pools.list_pools(
                session,
                limit=request.limit or 50,
                offset=request.offset,
                order_by=request.order_by,
                name_pattern=request.pool_name_pattern,
            )
        return pools_pb2.ListPoolsResponse(
            pools=[pool_to_proto(p) for p in found], total_entries=total
        )

    @maps_domain_errors
    async def GetPool(self, request, context: grpc.aio.ServicerContext):
        async with self._db.reader() as session:
            usage = await pools.get_pool(session, request.name)
        return pools_pb2.GetPoolResponse(pool=pool_to_proto(usage))

    @maps_domain_errors
    async def CreatePool(self, request, context: grpc.aio.ServicerContext):
        pool = request.pool
        async with self._db.transaction() as session:
            usage = await pools.create_pool(
                session,
                name=pool.name,
                slots=pool.slots,
                description=_description(pool),
                include_deferred=pool.include_deferred,
            )
        return pools_pb2.CreatePoolResponse(pool=pool_to_proto(usage))

    @maps_domain_errors
    async def UpdatePool(self, request, context: grpc.aio.ServicerContext):
        paths = list(request.update_mask.paths) or list(MUTABLE)
        unknown = [p for p in paths if p not in (*MUTABLE, "name")]
        if unknown:
            raise InvalidArgument(f"update_mask: unknown fields {unknown}; one of {MUTABLE}")
        values = {
            "name": request.pool.name or request.name,
            "slots": request.pool.slots,
            "description": _description(request.pool),
            "include_deferred": request.pool.include_deferred,
        }
        changes = {path: values[path] for path in paths}
        async with self._db.transaction() as session:
            usage = await pools.update_pool(session, request.name, changes=changes)
        return pools_pb2.UpdatePoolResponse(pool=pool_to_proto(usage))

    @maps_domain_errors
    async def DeletePool(self, request, context: grpc.aio.ServicerContext):
        async with self._db.transaction() as session:
            await pools.delete_pool(session, request.name)
        return pools_pb2.DeletePoolResponse()
