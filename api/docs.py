"""/docs: Swagger UI from the assets of the installed fastapi-offline package, started from a same-origin script.

FastAPI's own page loads Swagger UI from a CDN and starts it with an inline script; the app's CSP
(script-src 'self') blocks both, and the service may have no internet access at all.
"""

from __future__ import annotations

import html
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"
WIDGET_DIR = Path(__file__).parent / "widget"
router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    root = html.escape(request.scope.get("root_path", ""), quote=True)
    title = html.escape(request.app.title)
    return HTMLResponse(
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{title} - Swagger UI</title>'
        f'<link rel="icon" href="{root}/docs/assets/favicon.png">'
        f'<link rel="stylesheet" href="{root}/docs/assets/swagger-ui.css"></head>'
        f'<body><div id="swagger-ui"></div>'
        f'<script src="{root}/docs/assets/swagger-ui-bundle.js"></script>'
        f'<script src="{root}/docs/start.js" data-openapi="{root}{request.app.openapi_url}"></script>'
        f"</body></html>")


@router.get("/docs/start.js")
def docs_start() -> FileResponse:
    return FileResponse(WIDGET_DIR / "docs.js", media_type="text/javascript")


def install(app: FastAPI) -> None:
    """Serve /docs and its assets (the app is created with docs_url=None, redoc_url=None)."""
    app.include_router(router)
    app.mount("/docs/assets", StaticFiles(directory=ASSETS), name="docs-assets")
