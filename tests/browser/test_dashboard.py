"""What a person does in the dashboard, in a real browser against a real Tradewind."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from playwright.async_api import expect

from conftest import admin_auth

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


def _cell(page, task_id: str, state: str | None = None):
    selector = f'button.cell[data-task-id="{task_id}"]'
    if state:
        selector += f'[data-state="{state}"]'
    return page.locator(selector)


async def test_trigger_watch_read_the_log_and_clear(standalone, page, tmp_path):
    ran = tmp_path / "ran"
    spec = {
        "dag_id": "browser_pipeline",
        "tags": ["ui"],
        "tasks": [
            {
                "task_id": "extract",
                "operator": "bash",
                # Lines over a few seconds, so the log is read while the task still runs.
                "bash_command": (
                    f"echo ran >> {ran}; for i in 1 2 3 4; do echo line-$i; sleep 1; done"
                ),
            },
            {
                "task_id": "load",
                "operator": "bash",
                "bash_command": "echo loaded",
                "upstream": ["extract"],
            },
        ],
    }
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=standalone.base_url, timeout=10
    ) as client:
        assert (await client.post("/dags", json=spec)).status_code == 201
        other = {"dag_id": "other_dag", "tasks": [{"task_id": "t", "operator": "empty"}]}
        assert (await client.post("/dags", json=other)).status_code == 201

        # The DAG list: search narrows it to our DAG.
        await page.goto(standalone.home_url + "/")
        await expect(page.get_by_role("link", name="other_dag")).to_be_visible()
        await page.get_by_label("Search").fill("browser")
        await expect(page.get_by_role("link", name="other_dag")).to_have_count(0)
        row = page.locator('tr[data-dag-id="browser_pipeline"]')
        await expect(row).to_be_visible()

        # Trigger from the list, then follow the run on the DAG's page without reloading.
        await row.get_by_role("button", name="Trigger").click()
        await row.get_by_role("link", name="browser_pipeline").click()
        await expect(page.get_by_role("heading", name="browser_pipeline")).to_be_visible()
        await expect(_cell(page, "extract", "running")).to_have_count(1)

        # The log tails while the task runs.
        await _cell(page, "extract").click()
        log = page.get_by_test_id("task-log")
        await expect(log).to_contain_text("line-1")
        runs = (await client.get("/dags/browser_pipeline/dagRuns")).json()["dag_runs"]
        run_id = runs[0]["dag_run_id"]
        extract = f"/dags/browser_pipeline/dagRuns/{run_id}/taskInstances/extract"
        assert (await client.get(extract)).json()["state"] == "running"
        await expect(log).to_contain_text("line-4")

        await expect(_cell(page, "extract", "success")).to_have_count(1)
        await expect(_cell(page, "load", "success")).to_have_count(1)
        assert ran.read_text().count("ran") == 1

        # Clear the task (with downstream): it runs again, and the grid follows.
        await page.get_by_role("button", name="Clear with downstream").click()
        await expect(_cell(page, "extract", "success")).to_have_count(0)
        await expect(_cell(page, "extract", "success")).to_have_count(1, timeout=30_000)
        await expect(_cell(page, "load", "success")).to_have_count(1)
        assert ran.read_text().count("ran") == 2
        assert (await client.get(extract)).json()["try_number"] == 2
        # The panel lists both tries.
        tries = page.get_by_role("table", name="Tries")
        await expect(tries.locator("tr[data-try]")).to_have_count(2)
        await expect(tries.locator('tr[data-try="1"]')).to_contain_text("success")


async def test_problems_from_the_api_are_shown(standalone, page):
    """A task instance whose run is deleted while its panel is open: the api's own words."""
    task = {"task_id": "t", "operator": "bash", "bash_command": "true"}
    spec = {"dag_id": "gone", "tasks": [task]}
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=standalone.base_url, timeout=10
    ) as client:
        assert (await client.post("/dags", json=spec)).status_code == 201
        assert (
            await client.post("/dags/gone/dagRuns", json={"dag_run_id": "r1"})
        ).status_code == 200
        await page.goto(standalone.home_url + "/dags/gone")
        await expect(_cell(page, "t", "success")).to_have_count(1)
        await _cell(page, "t").click()
        await expect(page.get_by_role("button", name="Mark failed")).to_be_visible()
        # The run disappears behind the page's back: the page says so in the api's words
        # and closes the panel of what no longer exists.
        assert (await client.delete("/dags/gone/dagRuns/r1")).status_code == 204
        await expect(page.get_by_role("alert")).to_contain_text("r1")
        await expect(page.get_by_role("button", name="Mark failed")).to_have_count(0)


async def test_unknown_pages_and_dags_say_so(standalone, page):
    await page.goto(standalone.home_url + "/dags/no_such_dag")
    await expect(page.get_by_role("alert")).to_contain_text("no_such_dag")
    assert (await page.request.get(standalone.home_url + "/nowhere")).status == 404


async def test_the_grid_of_a_big_dag_opens_and_scrolls(standalone, page):
    """200 tasks by 1,000 runs: the grid shows the newest runs, the cells in view only."""
    from tests.browser.seed import finished_runs

    task_ids = [f"step_{i:03d}" for i in range(200)]
    spec = {
        "dag_id": "big",
        "tasks": [{"task_id": t, "operator": "empty"} for t in task_ids],
    }
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=standalone.base_url, timeout=30
    ) as client:
        created = await client.post("/dags", json=spec)
        assert created.status_code == 201
        assert (await client.patch("/dags/big", json={"is_paused": True})).status_code == 200
        version_id = created.json()["latest_dag_version"]["id"]
        finished_runs(
            standalone.home, dag_id="big", dag_version_id=version_id, task_ids=task_ids, runs=1000
        )
        grid = (await client.get("/dags/big/grid", params={"limit": 1000})).json()
        assert grid["total_runs"] == 1000 and len(grid["dag_runs"]) == 1000
        assert grid["task_ids"] == task_ids

    await page.goto(standalone.home_url + "/dags/big")
    await expect(page.get_by_text("100 of 1000 runs")).to_be_visible()
    # The newest run is in view (the grid opens scrolled to the right).
    newest = page.locator('button.cell[data-run-id="seeded__00999"][data-task-id="step_000"]')
    await expect(newest).to_be_visible()
    rendered = await page.locator("button.cell").count()
    assert 0 < rendered < 20_000, rendered  # of the page's 20,000
    await page.get_by_role("button", name="Older runs").click()
    await expect(
        page.locator('button.cell[data-run-id="seeded__00899"][data-task-id="step_000"]')
    ).to_be_visible()
    # The failed runs' first task shows failed.
    await expect(
        page.locator('button.cell[data-run-id="seeded__00896"][data-task-id="step_000"]')
    ).to_have_attribute("data-state", "failed")


async def test_trigger_form_graph_gantt_and_spec(standalone, page, tmp_path):
    """The trigger form comes from the DAG's params and its values reach the task as conf;
    the graph and the Gantt show the run; the spec is shown by version."""
    out = tmp_path / "greeting"
    spec = {
        "dag_id": "views",
        "params": {"name": {"default": "world", "type": "string", "description": "Who"}},
        "tasks": [
            {
                "task_id": "greet",
                "operator": "bash",
                "bash_command": f"echo hello {{{{ dag_run.conf['name'] }}}} > {out}",
            },
            {"task_id": "after", "operator": "empty", "upstream": ["greet"]},
            {
                "task_id": "count",
                "operator": "python",
                "python_callable": "jobs:count",
                "upstream": ["greet"],
            },
        ],
        "code": {"files": {"jobs.py": "def count():\n    return {'rows': 42}\n"}},
    }
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=standalone.base_url, timeout=10
    ) as client:
        assert (await client.post("/dags", json=spec)).status_code == 201
        changed = {**spec, "description": "second version"}
        assert (await client.post("/dags", json=changed)).status_code == 201

    await page.goto(standalone.home_url + "/dags/views")
    await page.get_by_role("button", name="Trigger").first.click()
    form = page.get_by_role("form", name="Trigger a run")
    await form.get_by_label("name").fill("tradewind")
    await form.get_by_role("button", name="Trigger").click()
    await expect(_cell(page, "after", "success")).to_have_count(1)
    assert out.read_text().strip() == "hello tradewind"

    # The python task's return value is in its panel.
    await expect(_cell(page, "count", "success")).to_have_count(1)
    await _cell(page, "count").click()
    await expect(page.get_by_test_id("xcom")).to_contain_text('{"rows":42}')

    await page.get_by_role("tab", name="Graph").click()
    await expect(page.locator('g.node[data-task-id="greet"][data-state="success"]')).to_be_visible()
    await expect(page.locator("polyline.edge")).to_have_count(2)
    await page.get_by_role("tab", name="Gantt").click()
    bars = page.get_by_role("listitem")
    await expect(bars).to_have_count(3)
    await expect(bars.first).to_contain_text("greet")  # ordered by start
    await page.get_by_role("tab", name="Spec").click()
    await expect(page.get_by_test_id("dag-spec")).to_contain_text("second version")
    await page.get_by_label("Version").select_option("1")
    await expect(page.get_by_test_id("dag-spec")).not_to_contain_text("second version")


async def test_pools_are_created_and_deleted(standalone, page):
    await page.goto(standalone.home_url + "/pools")
    await expect(page.locator('tr[data-pool="default_pool"]')).to_be_visible()
    await page.get_by_label("Name").fill("reports")
    await page.get_by_label("Slots").fill("3")
    await page.get_by_role("button", name="Create pool").click()
    row = page.locator('tr[data-pool="reports"]')
    await expect(row).to_contain_text("3")
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=standalone.base_url, timeout=10
    ) as client:
        assert (await client.get("/pools/reports")).json()["slots"] == 3
        await row.get_by_role("button", name="Delete").click()
        await expect(row).to_have_count(0)
        assert (await client.get("/pools/reports")).status_code == 404
    await page.get_by_role("link", name="Workers").click()
    await expect(page.get_by_role("cell", name="standalone", exact=True)).to_be_visible()


async def test_the_dag_page_is_live_and_recovers_a_lost_connection(standalone, page):
    """State changes reach the grid over the event stream; a lost connection is shown,
    and the page catches up by itself when the network is back."""
    from tests.e2e.proxy import TcpProxy

    spec = {
        "dag_id": "live",
        "tasks": [{"task_id": "t", "operator": "bash", "bash_command": "sleep 1"}],
    }
    # The browser reaches the api through a proxy the test can cut, as a network would.
    proxy = TcpProxy(standalone.home_url.removeprefix("http://"))
    await proxy.start()
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=standalone.base_url, timeout=10
    ) as client:
        assert (await client.post("/dags", json=spec)).status_code == 201
        await page.goto(f"http://{proxy.address}/dags/live")
        status = page.get_by_test_id("live-status")
        await expect(status).to_have_text("Live")

        await proxy.stop()
        await expect(status).to_have_text("Connection lost, reconnecting…")
        # A run that starts and ends while the page is cut off...
        assert (await client.post("/dags/live/dagRuns", json={"dag_run_id": "r1"})).is_success
        for _ in range(100):
            run = (await client.get("/dags/live/dagRuns/r1")).json()
            if run["state"] == "success":
                break
            await asyncio.sleep(0.2)
        await proxy.start()
        # ...is on the page once it is back, without a reload.
        await expect(status).to_have_text("Live", timeout=30_000)
        await expect(_cell(page, "t", "success")).to_have_count(1)
    await proxy.stop()


async def test_variables_connections_and_the_event_log(standalone, page):
    """A variable is created and deleted from its page; a connection's password never
    reaches the browser; both changes are in the event log."""
    await page.goto(standalone.home_url + "/variables")
    await page.get_by_label("Key").fill("report_day")
    await page.get_by_label("Value").fill("monday")
    await page.get_by_role("button", name="Create variable").click()
    row = page.locator('tr[data-variable="report_day"]')
    await expect(row).to_contain_text("monday")
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=standalone.base_url, timeout=10
    ) as client:
        assert (await client.get("/variables/report_day")).json()["value"] == "monday"
        await row.get_by_role("button", name="Delete").click()
        await expect(row).to_have_count(0)
        assert (await client.get("/variables/report_day")).status_code == 404
        connection = {
            "connection_id": "warehouse",
            "conn_type": "postgres",
            "host": "db.example",
            "login": "etl",
            "password": "hunter2-secret",
        }
        assert (await client.post("/connections", json=connection)).status_code == 201

    await page.get_by_role("link", name="Connections").click()
    conn_row = page.locator('tr[data-connection="warehouse"]')
    await expect(conn_row).to_contain_text("db.example")
    await expect(conn_row).not_to_contain_text("hunter2")
    assert "hunter2" not in await page.content()

    await page.get_by_role("link", name="Event log").click()
    await expect(page.get_by_role("cell", name="delete_variable")).to_be_visible()
    await expect(page.get_by_role("cell", name="post_variable")).to_be_visible()
