"""The screens (services/portal) driven over HTTP as a browser would: cookies kept, forms
posted with their hidden form token. Browser tests (Playwright) are in tests/e2e."""

import re

import httpx
from fastapi import FastAPI

from services.accounts import handlers
from services.accounts.domain import Role

PASSWORD = "screens-test-password-1"
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]{32})"')


def csrf_of(html: str) -> str:
    """The form token of a page (every form of a signed-in page carries it)."""
    found = _CSRF.search(html)
    assert found, "the page has no form token"
    return found.group(1)


async def add_person(app: FastAPI, username: str, role: Role, department: str | None = None,
                     township: str | None = "测试镇") -> None:
    """An account with ``PASSWORD`` in intake's identity store."""
    await handlers.add_account(app.state.authenticator.store, handlers.NewAccount(
        username, username, role, department if role == Role.department else None,
        township if role == Role.window else None), departments=[department] if department
        else [], password=PASSWORD)


def browser(app: FastAPI, address: str = "10.9.8.7") -> httpx.AsyncClient:
    """A client of intake's screens over HTTPS (the session cookie is Secure)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 50000)),
                             base_url="https://intake", follow_redirects=False)


async def sign_in(client: httpx.AsyncClient, username: str, password: str = PASSWORD
                  ) -> httpx.Response:
    response = await client.post("/ui/login", data={"username": username, "password": password})
    assert response.status_code == 303, response.text
    return response
