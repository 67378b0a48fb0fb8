"""The docs page and the dashboard work with no internet: every asset they load is served
by Tradewind."""

from __future__ import annotations

import re

import httpx

from tradewind_api.app import create_app


async def test_docs_page_loads_only_its_own_assets():
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://tradewind") as client:
        page = await client.get("/docs")
        assert page.status_code == 200
        assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
        assets += re.findall(r"""url:\s*['"]([^'"]+)['"]""", page.text)
        assert any(a.endswith("swagger-ui-bundle.js") for a in assets), assets
        for asset in assets:
            assert asset.startswith("/"), f"{asset} is fetched from another host"
            served = await client.get(asset)
            assert served.status_code == 200, asset
            assert len(served.content) > 100, asset


async def test_dashboard_is_served_at_home_with_its_own_assets():
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://tradewind") as client:
        for path in ("/", "/dags/example"):  # a client route reloads into the app
            page = await client.get(path)
            assert page.status_code == 200, path
            assert '<div id="root">' in page.text
            assert page.headers["cache-control"] == "no-cache"
        assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
        assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
        for asset in assets:
            assert asset.startswith("/assets/"), f"{asset} is fetched from another host"
            served = await client.get(asset)
            assert served.status_code == 200 and len(served.content) > 100, asset
            assert "immutable" in served.headers["cache-control"]
        missing = await client.get("/assets/nothing-here.js")
        assert missing.status_code == 404
