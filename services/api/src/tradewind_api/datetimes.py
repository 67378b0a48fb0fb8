"""Dates a request may carry: any offset, as long as the moment exists in UTC. Year 9999
at a negative offset, or year 1 at a positive one, falls outside what UTC timestamps (and
the databases and protos behind them) can hold: refused at the door with 422."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator


def _representable(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            f"{value.isoformat()} is out of range: in UTC it falls outside the years 1 to 9999"
        ) from None
    return value


InUtcRange = AfterValidator(_representable)
Moment = Annotated[datetime, InUtcRange]
