"""The summary table (rich when installed, plain text otherwise) and the JSON file."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"

# Airflow 3.3 on this kind of machine, measured the same way (figures given to the bench).
AIRFLOW = {"task_to_task_p50_ms": 713.0, "trigger_to_first_task_ms": 5600.0}

Result = dict[str, Any]
# (row label, how to read the figure from a mode's result, how to print it)
ROWS: list[tuple[str, Callable[[Result], float], str]] = [
    (
        "trigger → first task start, median (ms)",
        lambda r: r["trigger_to_first_task_ms"]["median"],
        "{:.0f}",
    ),
    ("task-to-task p50 (ms)", lambda r: r["task_to_task_ms"]["p50"], "{:.0f}"),
    ("task-to-task p95 (ms)", lambda r: r["task_to_task_ms"]["p95"], "{:.0f}"),
    ("200-task fan-out wall, median (s)", lambda r: r["fanout_200_wall_s"]["median"], "{:.2f}"),
    ("schedule lateness p50 (ms)", lambda r: r["schedule_lateness_ms"]["p50"], "{:.0f}"),
]


def _cell(result: Result | None, read: Callable[[Result], float], fmt: str) -> str:
    if result is None:
        return "not run"
    if "error" in result:
        return "FAILED"
    return fmt.format(read(result))


def ratios(result: Result) -> dict[str, float]:
    """Airflow's figure over Tradewind's: how many times faster Tradewind is."""
    return {
        "task_to_task_p50": AIRFLOW["task_to_task_p50_ms"] / result["task_to_task_ms"]["p50"],
        "trigger_to_first_task": AIRFLOW["trigger_to_first_task_ms"]
        / result["trigger_to_first_task_ms"]["median"],
    }


def _reference_lines(results: dict[str, Result]) -> list[str]:
    lines = [
        "Airflow 3.3 reference (this kind of machine): task-to-task p50 "
        f"{AIRFLOW['task_to_task_p50_ms']:.0f} ms, trigger → first task "
        f"{AIRFLOW['trigger_to_first_task_ms'] / 1000:.1f} s"
    ]
    for mode, result in results.items():
        if "error" not in result:
            r = ratios(result)
            lines.append(
                f"Airflow/Tradewind {mode}: task-to-task p50 {r['task_to_task_p50']:.1f}×, "
                f"trigger → first task {r['trigger_to_first_task']:.1f}×"
            )
    return lines


def print_table(results: dict[str, Result], modes: list[str], notes: list[str]) -> None:
    rows = [
        [label] + [_cell(results.get(mode), read, fmt) for mode in modes]
        for label, read, fmt in ROWS
    ]
    footer = _reference_lines(results) + notes
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        width = max(len(row[0]) for row in rows)
        print(f"{'metric':<{width}}  " + "  ".join(f"{m:>12}" for m in modes))
        for row in rows:
            print(f"{row[0]:<{width}}  " + "  ".join(f"{c:>12}" for c in row[1:]))
        print("\n".join(footer))
        return
    table = Table(title="Tradewind benchmark")
    table.add_column("metric")
    for mode in modes:
        table.add_column(mode, justify="right")
    for row in rows:
        table.add_row(*row)
    console = Console()
    console.print(table)
    for line in footer:
        # Not rich markup; and unwrapped, so each note stays one greppable line.
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def write_json(results: dict[str, Result], config: dict[str, Any]) -> Path:
    document = {
        "generated_at": datetime.now(UTC).isoformat(),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "config": config,
        "airflow_reference": AIRFLOW,
        "modes": {
            mode: result | ({} if "error" in result else {"airflow_over_tradewind": ratios(result)})
            for mode, result in results.items()
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return RESULTS
