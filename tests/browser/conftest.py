"""Browser tests: Tradewind standalone (a real process) driven through its dashboard in
headless Chromium (Debian's package; a test tool's own browser download is never used).
Every test leaves a screenshot of its last page in .run/screenshots, passing or failing.
The `page` fixture is signed in as the first user (`admin`); `anonymous_page` is not."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest_asyncio
from playwright.async_api import expect

from conftest import ADMIN_PASSWORD
from tests.e2e.harness import Deployment

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("TRADEWIND_SCREENSHOTS", ROOT / ".run" / "screenshots"))
SCREENSHOTS.mkdir(parents=True, exist_ok=True)
# Chromium as root in a container: no sandbox, no GPU, and no background calls to hosts
# this machine cannot reach.
# A browser, the api and the tasks share two cores: waits are generous, and a test that
# fails does so on what it waited for, not on a slow machine.
expect.set_options(timeout=20_000)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        subprocess.run([str(ROOT / "scripts" / "ensure-browser.sh")], check=True)
        found = shutil.which("chromium")
    assert found, "Chromium is not installed and scripts/ensure-browser.sh could not install it"
    return found


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def standalone(tmp_path_factory):
    """One standalone for a module's tests (each uses DAG ids of its own): starting one
    takes seconds."""
    from conftest import free_port

    tmp_path = tmp_path_factory.mktemp("standalone")
    home = tmp_path / "home"
    service_ports = {
        "api_port": str(free_port()),
        "api_grpc_address": f"127.0.0.1:{free_port()}",
        # Tests run as root: their tasks do too, said explicitly.
        "worker_run_tasks_as_root": "true",
    }
    deployment = Deployment(
        tmp_path, {"home": str(home), "admin_password": ADMIN_PASSWORD, **service_ports}
    )
    deployment.home = home
    deployment.start("standalone", "standalone")
    try:
        await deployment.wait_healthy()
        deployment.home_url = deployment.base_url.removesuffix("/api/v2")
        yield deployment
    finally:
        codes = deployment.stop_all()
    assert codes == {"standalone": 0}, deployment.logs()


def screenshot_path(name: str) -> Path:
    return SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"


@pytest_asyncio.fixture(loop_scope="module")
async def anonymous_page(request):
    """A fresh browser, signed in as nobody."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        context = await browser.new_context(viewport={"width": 1400, "height": 900})
        page = await context.new_page()
        page.set_default_timeout(20_000)
        try:
            yield page
        finally:
            path = screenshot_path(request.node.name)
            await page.screenshot(path=path, full_page=True, timeout=60_000)
            await browser.close()


async def sign_in(page, home_url: str, username: str, password: str) -> None:
    """Signs the page's browser in as the dashboard does (the api sets the session and
    CSRF cookies), without going through the login page."""
    answer = await page.context.request.post(
        home_url + "/auth/login", data={"username": username, "password": password}
    )
    assert answer.ok, await answer.text()


@pytest_asyncio.fixture(loop_scope="module")
async def page(standalone, anonymous_page):
    """A browser signed in as `admin`."""
    await sign_in(anonymous_page, standalone.home_url, "admin", ADMIN_PASSWORD)
    return anonymous_page
