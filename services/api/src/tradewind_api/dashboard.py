"""The web dashboard: a built single-page app committed inside this package (built from
services/api/dashboard by `make dashboard`), so serving it needs no Node.js."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

DIST = Path(__file__).parent / "dashboard_dist"
# Pages the dashboard routes itself: a reload or a shared link lands on the app, which
# then shows the page.
CLIENT_ROUTES = (
    "/",
    "/dags/{path:path}",
    "/pools",
    "/workers",
    "/variables",
    "/connections",
    "/events",
)


class _HashedAssets(StaticFiles):
    """Asset names carry a hash of their content, so a browser may keep them for good."""

    def file_response(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def install_dashboard(app: FastAPI) -> None:
    app.mount("/assets", _HashedAssets(directory=DIST / "assets"), name="dashboard-assets")

    async def page() -> FileResponse:
        # Always revalidated: a new build's page must point at the new assets.
        return FileResponse(DIST / "index.html", headers={"Cache-Control": "no-cache"})

    for route in CLIENT_ROUTES:
        app.add_api_route(route, page, methods=["GET"], include_in_schema=False)
