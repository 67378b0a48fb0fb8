"""`python -m bench.dashboard`: how fast the dashboard's grid opens on a big DAG.

Starts Tradewind standalone, creates a 200-task DAG with 1,000 finished runs (written
straight into its database, as the browser test does), then in headless Chromium times
navigation to the DAG's page until the newest run's first cell is on screen (5 samples,
a fresh page each), and reports the size of the grid's API answers."""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.cluster import ADMIN_PASSWORD, Cluster, api_auth
from bench.errors import BenchError
from bench.stats import median
from tests.browser.conftest import CHROMIUM_ARGS, chromium_path
from tests.browser.seed import finished_runs

TASKS = 200
RUNS = 1000
SAMPLES = 5


def _seed(cluster: Cluster) -> None:
    task_ids = [f"step_{i:03d}" for i in range(TASKS)]
    spec = {"dag_id": "big", "tasks": [{"task_id": t, "operator": "empty"} for t in task_ids]}
    with httpx.Client(auth=api_auth(), base_url=cluster.api_url + "/api/v2", timeout=60) as client:
        created = client.post("/dags", json=spec)
        if created.status_code != 201:
            raise BenchError(f"creating the DAG answered {created.status_code}: {created.text}")
        client.patch("/dags/big", json={"is_paused": True}).raise_for_status()
        version = created.json()["latest_dag_version"]["id"]
    finished_runs(
        Path(cluster.env["TRADEWIND_HOME"]),
        dag_id="big",
        dag_version_id=version,
        task_ids=task_ids,
        runs=RUNS,
    )


def _answer_sizes(api_url: str) -> dict[int, tuple[int, float]]:
    """Bytes and milliseconds of the grid's answer for pages of 100 and 1,000 runs."""
    sizes = {}
    with httpx.Client(auth=api_auth(), base_url=api_url + "/api/v2", timeout=60) as client:
        for limit in (100, 1000):
            started = time.perf_counter()
            response = client.get("/dags/big/grid", params={"limit": limit})
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            sizes[limit] = (len(response.content), elapsed)
    return sizes


async def _first_render_ms(home_url: str, path: str) -> list[float]:
    from playwright.async_api import async_playwright

    samples = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        # Signed in once, as the dashboard does: every page of the context sends the cookie.
        context = await browser.new_context(viewport={"width": 1400, "height": 900})
        signed_in = await context.request.post(
            home_url + "/auth/login", data={"username": "admin", "password": ADMIN_PASSWORD}
        )
        if not signed_in.ok:
            raise BenchError(f"signing in answered {signed_in.status}: {await signed_in.text()}")
        for _ in range(SAMPLES + 1):  # the first warms the api's caches: not counted
            page = await context.new_page()
            started = time.perf_counter()
            await page.goto(home_url + path)
            await page.locator(
                f'button.cell[data-run-id="seeded__{RUNS - 1:05d}"][data-task-id="step_000"]'
            ).wait_for(state="visible", timeout=60_000)
            samples.append((time.perf_counter() - started) * 1000)
            await page.close()
        await browser.close()
    return samples[1:]


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="tradewind-bench-dashboard-") as tmp:
        cluster = Cluster.create("standalone", Path(tmp))
        cluster.start()
        try:
            cluster.wait_healthy()
            _seed(cluster)
            sizes = _answer_sizes(cluster.api_url)
            renders = asyncio.run(_first_render_ms(cluster.api_url, "/dags/big"))
        finally:
            cluster.stop()
    print(f"Dashboard grid, {TASKS} tasks x {RUNS} runs (standalone, headless Chromium)")
    print(
        f"  first render (navigation to the newest cell on screen), median of {SAMPLES}: "
        f"{median(renders):.0f} ms  (samples: {', '.join(f'{s:.0f}' for s in renders)})"
    )
    for limit, (size, elapsed) in sizes.items():
        print(f"  grid answer, {limit} runs: {size / 1024:.0f} KiB in {elapsed:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
