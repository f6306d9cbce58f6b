"""The services' HTTP APIs as the screens call them: as the signed-in person (their bearer
token), intake's own in-process (no network hop), the others at ``Settings.peer_urls``."""

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

TIMEOUT, CONNECT_TIMEOUT = 10.0, 3.0  # seconds


class PeerError(Exception):
    """An API refused or failed: its status and the common error body (``{"error": {...}}``),
    or status 503 with no body when the service could not be reached."""

    def __init__(self, service: str, status: int, body: dict[str, Any] | None = None) -> None:
        self.service, self.status, self.body = service, status, body or {}
        super().__init__(f"{service}: HTTP {status}")

    @property
    def error(self) -> dict[str, Any]:
        return self.body.get("error") or {}

    def message(self, lang: str) -> str:
        """The error's text in ``lang`` (``zh`` or ``en``), with every field's reason."""
        error = self.error
        if not error:
            return {"zh": f"{self.service} 服务暂时无法访问，请稍后再试。",
                    "en": f"The {self.service} service cannot be reached; try again shortly."}[lang]
        text = error.get("message_zh" if lang == "zh" else "message") or error.get("message", "")
        return text

    def field_errors(self, lang: str) -> dict[str, str]:
        """Each refused field → the reason in ``lang``, under its whole path
        (``applicant.id_number``) and, unless another field took it, its last part."""
        found: dict[str, str] = {}
        for item in self.error.get("fields") or []:
            path = str(item.get("field", ""))
            reason = item.get("reason_zh" if lang == "zh" else "reason") or item.get("reason", "")
            found[path] = reason
            found.setdefault(path.split(".")[-1], reason)
        return found


class Peers:
    """One client per service; ``call`` as a person, from the client address they came from."""

    def __init__(self, urls: dict[str, str], local: Any = None, local_name: str = "intake") -> None:
        self.urls = {name: url.rstrip("/") for name, url in urls.items()}
        self.local, self.local_name = local, local_name
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._apps: dict[str, Any] = {}

    def attach(self, service: str, app: Any) -> None:
        """Reach ``service`` in-process (tests that run the services as apps)."""
        self._apps[service] = app
        self.urls.setdefault(service, f"http://{service}")

    def known(self, service: str) -> bool:
        return service == self.local_name or service in self.urls

    def departments(self) -> list[str]:
        """The department codes whose services are known (``dept-<code>``)."""
        return [n.removeprefix("dept-") for n in self.urls if n.startswith("dept-")]

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            for client in self._clients.values():
                await client.aclose()
            self._clients.clear()

    def _client(self, service: str, client_host: str) -> tuple["httpx.AsyncClient", bool]:
        # Imported at the first call (httpx brings rich and pygments): an intake whose screens
        # nobody opens goes without.
        import httpx

        timeout = httpx.Timeout(TIMEOUT, connect=CONNECT_TIMEOUT)
        if service == self.local_name and self.local is not None:
            # In-process, keeping the person's address (sign-in lock-outs count by it).
            transport = httpx.ASGITransport(app=self.local, client=(client_host, 0))
            return httpx.AsyncClient(transport=transport, base_url="http://intake",
                                     timeout=timeout), True
        if service in self._apps:
            transport = httpx.ASGITransport(app=self._apps[service], client=("127.0.0.1", 0))
            return httpx.AsyncClient(transport=transport, base_url=self.urls[service],
                                     timeout=timeout), True
        if service not in self.urls:
            raise PeerError(service, 503)
        if service not in self._clients:
            self._clients[service] = httpx.AsyncClient(base_url=self.urls[service],
                                                       timeout=timeout)
        return self._clients[service], False

    async def call(self, service: str, method: str, path: str, *, token: str | None,
                   client_host: str = "127.0.0.1", **kwargs: Any) -> Any:
        """The JSON answer of ``method path`` (None for 204); ``PeerError`` otherwise."""
        response = await self.raw(service, method, path, token=token, client_host=client_host,
                                  **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def raw(self, service: str, method: str, path: str, *, token: str | None,
                  client_host: str = "127.0.0.1", **kwargs: Any) -> "httpx.Response":
        """The answer itself (CSV, PDF ...), if it succeeded; ``PeerError`` otherwise."""
        import httpx

        client, once = self._client(service, client_host)
        headers = dict(kwargs.pop("headers", None) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = await client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError:
            raise PeerError(service, 503) from None
        finally:
            if once:
                await client.aclose()
        if response.is_success:
            return response
        try:
            body = response.json()
        except ValueError:
            body = None
        raise PeerError(service, response.status_code, body if isinstance(body, dict) else None)
