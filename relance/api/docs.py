"""/redoc with nothing fetched from outside: fastapi-offline serves ReDoc's bundle from the package, but
the bundle's "API docs by Redocly" footer still loads its logo from Redocly's CDN (a request leaving a
machine that may have no internet, and telling a third party the docs were opened). The bundle is served
here with that one address pointing at the docs' own favicon."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html
from starlette.responses import HTMLResponse, Response

STATIC_URL = "/static-offline-docs"  # where fastapi-offline serves its files
REDOC_BUNDLE = Path(fastapi_offline.__file__).parent / "static" / "redoc.standalone.js"
CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@cache
def _bundle() -> bytes:
    return REDOC_BUNDLE.read_text(encoding="utf-8").replace(CDN_LOGO, f"{STATIC_URL}/favicon.png").encode()


def install(app: FastAPI) -> None:
    """/redoc and its bundle (the app is made with redoc_url=None)."""

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} - ReDoc",
                              redoc_js_url=f"{root}/redoc/redoc.standalone.js", with_google_fonts=False,
                              redoc_favicon_url=f"{root}{STATIC_URL}/favicon.png")

    @app.get("/redoc/redoc.standalone.js", include_in_schema=False)
    async def redoc_bundle() -> Response:
        return Response(_bundle(), media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})
