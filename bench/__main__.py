"""`python -m bench`: Tradewind's latency and throughput, standalone and distributed.

Per mode: start Tradewind as real processes, wait until healthy, register three DAGs,
run one unmeasured warm-up run (first requests pay for lazy imports and new connections),
then measure
  1. trigger -> first task start on a one-task DAG,
  2. task-to-task latency over a 20-task chain of `true` tasks,
  3. wall time of 200 independent `true` tasks (max_active_tasks 256),
  4. a schedule's lateness: a run's due time (run_after) to its first task's start,
and stop everything. Exits non-zero if any run did not succeed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench import report, schedule_lateness, task_start, workload
from bench.cleanup import cleanup
from bench.cluster import Cluster
from bench.errors import BenchError
from bench.stats import median, percentile

MODES = ("standalone", "distributed")
MAX_LOG_LINES_SHOWN = 15


@dataclass(frozen=True)
class Repeats:
    trigger: int
    chain: int
    fanout: int
    scheduled: int


FULL = Repeats(trigger=5, chain=5, fanout=3, scheduled=10)
QUICK = Repeats(trigger=2, chain=2, fanout=1, scheduled=3)


def say(text: str) -> None:
    print(text, flush=True)


def measure(api_url: str, repeats: Repeats) -> report.Result:
    driver = workload.Driver(api_url)
    try:
        driver.register()
        driver.run(workload.SINGLE_DAG, timeout=60)  # warm-up, not measured
        say(f"   trigger → first task start ×{repeats.trigger}")
        starts = workload.trigger_to_first_start_ms(driver, repeats.trigger)
        say(f"   {workload.CHAIN_LENGTH}-task chain ×{repeats.chain}")
        gaps = workload.task_to_task_ms(driver, repeats.chain)
        say(f"   {workload.FANOUT_WIDTH}-task fan-out ×{repeats.fanout}")
        walls = workload.fanout_wall_s(driver, repeats.fanout)
        say(f"   scheduled runs ×{repeats.scheduled}")
        late = schedule_lateness.lateness_ms(api_url, repeats.scheduled)
    finally:
        driver.close()
    return {
        "trigger_to_first_task_ms": {"median": round(median(starts), 3), "samples": starts},
        "task_to_task_ms": {
            "p50": round(percentile(gaps, 50), 3),
            "p95": round(percentile(gaps, 95), 3),
            "min": min(gaps),
            "max": max(gaps),
            "count": len(gaps),
            "samples": gaps,
        },
        "fanout_200_wall_s": {"median": round(median(walls), 6), "samples": walls},
        "schedule_lateness_ms": {"p50": round(percentile(late, 50), 3), "samples": late},
    }


def run_mode(mode: str, repeats: Repeats) -> report.Result:
    workdir = Path(tempfile.mkdtemp(prefix=f"tradewind-bench-{mode}-"))
    cluster = Cluster.create(mode, workdir)
    result: report.Result = {}
    say(f"== {mode}: starting Tradewind (logs in {workdir})")
    try:
        cluster.start()
        started = time.monotonic()
        cluster.wait_healthy()
        result["startup_s"] = round(time.monotonic() - started, 2)
        say(f"   healthy after {result['startup_s']:.1f} s")
        result |= measure(cluster.api_url, repeats)
    except BenchError as exc:
        result["error"] = str(exc)
        print(f"error: {mode}: {exc}", file=sys.stderr, flush=True)
    finally:  # also on Ctrl-C: never leave processes, schemas or queues behind
        say(f"   stopping {mode}")
        result["exit_codes"] = cluster.stop()
        result["service_log"] = cluster.log_lines()
        if cluster.schema_prefix and cluster.broker_namespace:
            result["cleanup_errors"] = cleanup(cluster.schema_prefix, cluster.broker_namespace)
    if "error" in result:
        result["logs_kept_in"] = str(workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def observations(mode: str, result: report.Result) -> list[str]:
    """Anything that suggests a problem in Tradewind, even when every run succeeded."""
    found = []
    if "error" in result:  # printed in full when it happened; its first line here
        found.append(f"{mode}: ERROR: {result['error'].splitlines()[0]}")
    gaps = result.get("task_to_task_ms")
    if gaps and gaps["min"] < 0:
        found.append(f"{mode}: a task started {-gaps['min']:.0f} ms before its upstream ended")
    for name, code in result["exit_codes"].items():
        if code != 0:
            how = "had to be killed after SIGTERM" if code is None else f"exit code {code}"
            found.append(f"{mode}: `{name}` {how}")
    for name, lines in result["service_log"].items():
        if lines:
            shown = "\n".join(f"      {line}" for line in lines[:MAX_LOG_LINES_SHOWN])
            more = len(lines) - MAX_LOG_LINES_SHOWN
            shown += f"\n      ... {more} more" if more > 0 else ""
            found.append(f"{mode}: `{name}` logged {len(lines)} warning/error line(s):\n{shown}")
    found += [f"{mode}: {e}" for e in result.get("cleanup_errors", [])]
    if "logs_kept_in" in result:
        found.append(f"{mode}: logs kept in {result['logs_kept_in']}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=(*MODES, "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke test)")
    parser.add_argument(
        "--task-start-only", action="store_true", help="only the task start overhead"
    )
    args = parser.parse_args(argv)
    say("== task start overhead (worker holds the task -> its code runs)")
    starts = task_start.measure(5 if args.quick else 30)
    for name, figure in starts.items():
        say(f"   {name}: median {figure['median_ms']:.1f} ms")
    if args.task_start_only:
        return 0
    modes = list(MODES) if args.mode == "both" else [args.mode]
    repeats = QUICK if args.quick else FULL

    results = {mode: run_mode(mode, repeats) for mode in modes}

    found = [line for mode in modes for line in observations(mode, results[mode])]
    if found:
        say("\nObservations:\n" + "\n".join(f" - {line}" for line in found))
    notes = [
        f"Repetitions per mode: {repeats.trigger} triggers, {repeats.chain} chains of "
        f"{workload.CHAIN_LENGTH} ({workload.CHAIN_LENGTH - 1} gaps each), {repeats.fanout} "
        f"fan-outs, after 1 warm-up run.",
        f"Fan-out: {workload.FANOUT_WIDTH} independent `true` tasks, max_active_tasks 256; "
        "workers: standalone 1 in-process, distributed 2 processes (default concurrency each).",
    ]
    say("")
    report.print_table(results, modes, notes)
    path = report.write_json(
        results,
        {"modes": modes, "repeats": asdict(repeats), "task_start_overhead_ms": starts},
    )
    say(f"Results: {path}")
    failed = [mode for mode in modes if "error" in results[mode]]
    if failed:
        print(f"error: benchmark failed for {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
