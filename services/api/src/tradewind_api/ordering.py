"""`order_by` as Airflow takes it: field names, each reversed by a leading `-`."""

from __future__ import annotations

from typing import Any

from tradewind_core.errors import InvalidArgument


def order_by_clause(order_by: list[str], columns: dict[str, Any], tie_breaker: Any) -> list[Any]:
    clauses = []
    for item in order_by:
        name = item.removeprefix("-")
        column = columns.get(name)
        if column is None:
            raise InvalidArgument(
                f"order_by: {name!r} is not allowed; allowed: {', '.join(sorted(columns))}"
            )
        clauses.append(column.desc() if item.startswith("-") else column)
    return [*clauses, tie_breaker]
