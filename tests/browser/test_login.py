"""Signing in to the dashboard, signing out, and what a Viewer is offered."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import expect

from conftest import ADMIN_PASSWORD, admin_auth
from tests.browser.conftest import screenshot_path

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

VIEWER_PASSWORD = "viewer-password-1"


async def _fill_login(page, username: str, password: str) -> None:
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(password)


async def test_sign_in_sign_out_and_what_a_viewer_sees(standalone, anonymous_page):
    page = anonymous_page
    spec = {"dag_id": "signed_in", "tasks": [{"task_id": "t", "operator": "empty"}]}
    async with httpx.AsyncClient(
        auth=admin_auth(), base_url=standalone.base_url, timeout=10
    ) as client:
        assert (await client.post("/dags", json=spec)).status_code == 201
        viewer = {"username": "vera", "password": VIEWER_PASSWORD, "role": "Viewer"}
        created = await client.post(standalone.home_url + "/auth/users", json=viewer)
        assert created.status_code == 201, created.text

    # Nothing of the dashboard before signing in: the login page, at the address asked for.
    await page.goto(standalone.home_url + "/")
    await expect(page.get_by_role("heading", name="Sign in to Tradewind")).to_be_visible()
    await expect(page.get_by_role("navigation", name="Main")).to_have_count(0)

    # A wrong password: the api's words, and still the login page.
    await _fill_login(page, "admin", "not-the-password")
    await page.get_by_label("Password").press("Enter")
    await expect(page.get_by_role("alert")).to_have_text("wrong username or password")
    await page.screenshot(path=screenshot_path("login_wrong_password"), full_page=True)
    await page.emulate_media(color_scheme="dark")
    await page.screenshot(path=screenshot_path("login_wrong_password_dark"), full_page=True)
    await page.emulate_media(color_scheme="light")

    # The right one (typed again into the emptied field) reaches the DAG list.
    await page.get_by_label("Password").fill(ADMIN_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="DAGs")).to_be_visible()
    await expect(page.get_by_test_id("current-user")).to_have_text("admin (Admin)")
    row = page.locator('tr[data-dag-id="signed_in"]')
    await expect(row.get_by_role("button", name="Trigger")).to_be_visible()
    await page.screenshot(path=screenshot_path("login_admin_dag_list"), full_page=True)

    # The DAG's event stream follows the session cookie.
    await row.get_by_role("link", name="signed_in").click()
    await expect(page.get_by_test_id("live-status")).to_have_text("Live")

    # Signing out ends the session on the server too, and shows the login page.
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in to Tradewind")).to_be_visible()
    assert (await page.request.get(standalone.home_url + "/auth/me")).status == 401
    await page.screenshot(path=screenshot_path("login_signed_out"), full_page=True)

    # A Viewer asking for the pools page signs in and lands there, offered no changes.
    await page.goto(standalone.home_url + "/pools")
    await _fill_login(page, "vera", VIEWER_PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator('tr[data-pool="default_pool"]')).to_be_visible()
    assert page.url.endswith("/pools")
    await expect(page.get_by_test_id("current-user")).to_have_text("vera (Viewer)")
    await expect(page.get_by_role("button", name="Create pool")).to_have_count(0)
    await expect(page.get_by_role("button", name="Delete default_pool")).to_have_count(0)
    nav = page.get_by_role("navigation", name="Main")
    await expect(nav.get_by_role("link", name="Variables")).to_have_count(0)

    # The DAG list shows the DAG, with no trigger button and a pause switch it cannot use.
    await nav.get_by_role("link", name="DAGs").click()
    row = page.locator('tr[data-dag-id="signed_in"]')
    await expect(row.get_by_role("link", name="signed_in")).to_be_visible()
    await expect(row.get_by_role("button", name="Trigger")).to_have_count(0)
    await expect(row.get_by_label("signed_in active")).to_be_disabled()
    await page.screenshot(path=screenshot_path("login_viewer_dag_list"), full_page=True)

    # A page the role may not read says so plainly, in the api's words.
    await page.goto(standalone.home_url + "/variables")
    await expect(page.get_by_role("alert")).to_contain_text("You may not do this:")
