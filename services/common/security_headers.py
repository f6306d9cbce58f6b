"""What every response of every service carries, whatever answered it (a route, the docs, a
refusal before routing, a 500): a request id, security headers, and CORS only where allowed.

- ``X-Request-Id``: the client's, if it sent a plain one (letters, digits, ``._:-``, at most
  64, not a number that could be a person's), else a new one; the audit row of the request
  records it (``request_id_of``).
- ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, ``Referrer-Policy:
  no-referrer``; ``Content-Security-Policy`` strict (an API loads nothing) unless the
  response brought its own (the docs pages: services/common/docs.py).
- ``Cache-Control: no-store`` (API answers carry personal data), except on the docs' static
  assets.
- ``Strict-Transport-Security`` when served over HTTPS: the ``https`` setting (behind a TLS
  proxy), or a request that came over TLS.
- CORS closed: no ``Access-Control-*`` header unless ``ONEDOOR_CORS_ORIGINS`` lists origins;
  then Starlette's CORS middleware answers those origins only.
"""

import re
import uuid
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware

from services.common.masking import mask

REQUEST_ID = "onedoor.request_id"  # where the request's id is kept in the ASGI scope
_PLAIN_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HSTS = "max-age=31536000; includeSubDomains"
_FIXED = (("x-content-type-options", "nosniff"), ("x-frame-options", "DENY"),
          ("referrer-policy", "no-referrer"))
# Swagger UI's and ReDoc's files, the screens' stylesheet and script: cacheable, nobody's data.
PUBLIC_ASSETS = ("/docs-assets/", "/ui/static/")


def request_id_of(scope: dict[str, Any]) -> str | None:
    return scope.get(REQUEST_ID)


def cors_origins(setting: str) -> list[str]:
    """``ONEDOOR_CORS_ORIGINS``: origins separated by commas or blanks."""
    return [o.strip().rstrip("/") for o in re.split(r"[,\s]+", setting or "") if o.strip()]


class SecurityHeaders:
    """ASGI middleware around a service's whole app (``service_app`` wraps Starlette's error
    middleware too, so that a 500 carries the headers as well)."""

    def __init__(self, app: Any, *, origins: list[str] | None = None, https: bool = False) -> None:
        self.https = https
        self.app = app if not origins else CORSMiddleware(
            app, allow_origins=origins, allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id"],
            expose_headers=["X-Request-Id", "Retry-After", "Location", "Idempotent-Replayed"],
            max_age=600)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or ()).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _PLAIN_ID.fullmatch(given) and mask(given) == given \
            else uuid.uuid4().hex
        scope[REQUEST_ID] = request_id
        secure = self.https or scope.get("scheme") == "https"
        cacheable = scope.get("path", "").startswith(PUBLIC_ASSETS)

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                headers["x-request-id"] = request_id
                for name, value in _FIXED:
                    headers[name] = value
                headers.setdefault("content-security-policy", API_CSP)
                if not cacheable:
                    headers.setdefault("cache-control", "no-store")
                if secure:
                    headers["strict-transport-security"] = HSTS
            await send(message)

        await self.app(scope, receive, with_headers)
