"""``/docs`` and ``/redoc`` that work with no internet: the service serves Swagger UI's and
ReDoc's files itself (township intranets are often offline, and FastAPI's defaults load them
from a CDN). The files come from the pinned ``fastapi-offline`` package.

Each page says what it may load (``Content-Security-Policy``): the service's own files only,
its one inline script by its hash (no ``'unsafe-inline'`` script), no frames. Styles may be
inline: ReDoc writes its styles at run time, and Swagger UI sets some on elements.
"""

import base64
import hashlib
import re
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
# ReDoc runs its search in a worker made from a blob.
_PAGE_CSP = ("default-src 'none'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
             "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
             "worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; "
             "form-action 'none'")


def with_policy(page: HTMLResponse) -> HTMLResponse:
    """``page`` with its Content-Security-Policy: its inline scripts allowed by their hashes."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(bytes(page.body).decode()))
    page.headers["Content-Security-Policy"] = _PAGE_CSP.format(hashes=hashes)
    return page


def install_docs(app: FastAPI) -> None:
    """Serve the docs pages and their assets from ``app`` (created with ``docs_url=None``
    and ``redoc_url=None``)."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")

    def base(request: Request) -> str:
        return request.scope.get("root_path", "")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = base(request)
        return with_policy(get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} · API",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            # No validator badge: it is an image from swagger.io.
            swagger_ui_parameters={"validatorUrl": None, **(app.swagger_ui_parameters or {})}))

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = base(request)
        return with_policy(get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{app.title} · ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png", with_google_fonts=False))
