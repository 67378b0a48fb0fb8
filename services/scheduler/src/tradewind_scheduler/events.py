"""Task events: an attempt started or finished, as the dispatcher reports it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class TaskEvent:
    """An attempt started or finished, as reported by the dispatcher."""

    task_instance_id: str
    try_number: int
    finished: bool
    state: str = ""
    start_date: datetime | None = None
    end_date: datetime | None = None
    hostname: str = ""
    pid: int | None = None
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("start_date", "end_date"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskEvent:
        values = dict(data)
        for key in ("start_date", "end_date"):
            values[key] = datetime.fromisoformat(values[key]) if values.get(key) else None
        return cls(**values)
