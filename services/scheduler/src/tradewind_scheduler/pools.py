"""Pools: reading them with their occupancy, creating, changing and deleting them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tradewind_core.errors import AlreadyExists, Conflict, InvalidArgument, NotFound
from tradewind_core.spec import INT32_MAX
from tradewind_core.states import TaskInstanceState
from tradewind_scheduler import queries
from tradewind_scheduler.models import Pool

DEFAULT_POOL = "default_pool"
ORDER_FIELDS = {
    "name": Pool.name,
    "pool": Pool.name,  # Airflow's REST name for it
    "slots": Pool.slots,
    "description": Pool.description,
    "include_deferred": Pool.include_deferred,
}
TI = TaskInstanceState
# A restarting task instance's stopped try still runs until it ends: it holds its slot.
_COUNTED = (TI.SCHEDULED.value, TI.QUEUED.value, TI.RUNNING.value, TI.RESTARTING.value)


@dataclass(frozen=True)
class PoolUsage:
    pool: Pool
    running: int
    queued: int
    scheduled: int
    deferred: int = 0  # no deferrable tasks yet

    @property
    def occupied(self) -> int:
        return self.running + self.queued + (self.deferred if self.pool.include_deferred else 0)

    @property
    def open(self) -> int:
        """-1 for a pool without a limit (slots -1, as in Airflow)."""
        return -1 if self.pool.slots < 0 else self.pool.slots - self.occupied


async def list_pools(
    session: AsyncSession, *, limit: int, offset: int, order_by: str, name_pattern: str
) -> tuple[list[PoolUsage], int]:
    descending = order_by.startswith("-")
    key = order_by.removeprefix("-") or "name"
    column = ORDER_FIELDS.get(key)
    if column is None:
        raise InvalidArgument(
            f"order_by: cannot order pools by {key!r}; one of {sorted(ORDER_FIELDS)}"
        )
    query = select(Pool)
    counted = select(func.count()).select_from(Pool)
    if name_pattern:
        query = query.where(Pool.name.like(name_pattern))
        counted = counted.where(Pool.name.like(name_pattern))
    total = await session.scalar(counted) or 0
    result = await session.execute(
        query.order_by(column.desc() if descending else column, Pool.name)
        .limit(limit)
        .offset(offset)
    )
    return await _with_usage(session, list(result.scalars())), total


async def get_pool(session: AsyncSession, name: str) -> PoolUsage:
    pool = await session.get(Pool, name)
    if pool is None:
        raise NotFound(f"pool {name!r} does not exist")
    return (await _with_usage(session, [pool]))[0]


async def missing_pools(session: AsyncSession, names: set[str]) -> set[str]:
    if not names:
        return set()
    found = await session.execute(select(Pool.name).where(Pool.name.in_(names)))
    return names - set(found.scalars())


async def create_pool(
    session: AsyncSession, *, name: str, slots: int, description: str | None, include_deferred: bool
) -> PoolUsage:
    _check(name, slots)
    if await session.get(Pool, name) is not None:
        raise AlreadyExists(f"pool {name!r} already exists")
    pool = Pool(name=name, slots=slots, description=description, include_deferred=include_deferred)
    session.add(pool)
    try:
        await session.flush()
    except IntegrityError:  # a concurrent create won
        raise AlreadyExists(f"pool {name!r} already exists") from None
    return PoolUsage(pool, 0, 0, 0)


async def update_pool(session: AsyncSession, name: str, *, changes: dict[str, object]) -> PoolUsage:
    pool = await session.get(Pool, name, with_for_update=True)
    if pool is None:
        raise NotFound(f"pool {name!r} does not exist")
    new_name = changes.pop("name", name)
    if new_name != name:
        raise InvalidArgument(f"name: a pool cannot be renamed ({name!r} to {new_name!r})")
    if "slots" in changes:
        _check(name, changes["slots"])  # type: ignore[arg-type]
    for key, value in changes.items():
        setattr(pool, key, value)
    await session.flush()
    return (await _with_usage(session, [pool]))[0]


async def delete_pool(session: AsyncSession, name: str) -> None:
    if name == DEFAULT_POOL:
        raise Conflict("default_pool cannot be deleted")
    pool = await session.get(Pool, name, with_for_update=True)
    if pool is None:
        raise NotFound(f"pool {name!r} does not exist")
    await session.delete(pool)
    await session.flush()


def _check(name: str, slots: int) -> None:
    if not name or len(name) > 256:
        raise InvalidArgument("name: a pool name has 1 to 256 characters")
    if not -1 <= slots <= INT32_MAX:
        raise InvalidArgument(f"slots: {slots} is out of range (-1 for unlimited, to {INT32_MAX})")


async def _with_usage(session: AsyncSession, found: list[Pool]) -> list[PoolUsage]:
    usage = await queries.slot_usage(session, [p.name for p in found], _COUNTED)
    return [
        PoolUsage(
            pool,
            running=usage.get((pool.name, TI.RUNNING.value), 0)
            + usage.get((pool.name, TI.RESTARTING.value), 0),
            queued=usage.get((pool.name, TI.QUEUED.value), 0),
            scheduled=usage.get((pool.name, TI.SCHEDULED.value), 0),
        )
        for pool in found
    ]
