"""The screens' composition: static files, sign-in and sign-out, the language switch, the
home of each role, and every screen's router; mounted on intake's app (``install``)."""

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from services.accounts.domain import Role
from services.accounts.http import public
from services.common.ratelimit import client_address
from services.common.settings import Settings
from services.portal import i18n, nav, web
from services.portal.pages import page_routers
from services.portal.peers import PeerError, Peers
from services.portal.web import SESSION, Viewer, render, safe_next, see_other, viewer

STATIC = Path(__file__).parent / "static"
Next = Annotated[str | None, Query(max_length=500)]


def install(app: FastAPI, settings: Settings) -> Peers:
    """Serve the screens on ``app`` (intake's); the returned ``Peers`` runs with the app."""
    peers = Peers(settings.peer_urls, local=app)
    app.state.peers = peers
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
    web.install(app)
    app.include_router(build_router(settings))
    for router in page_routers():
        app.include_router(router)
    return peers


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[None]:
    async with app.state.peers.running():
        yield


def build_router(settings: Settings) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    anyone = [Depends(public())]

    @router.get("/", dependencies=anyone)
    async def root() -> Response:
        return see_other("/ui/")

    @router.get("/ui/", dependencies=anyone)
    async def home(request: Request) -> Response:
        """The person's own screen, or the sign-in page."""
        try:
            person = await viewer()(request)
        except web.SignInNeeded:
            return see_other("/ui/login")
        return see_other(nav.home(person.actor.role))

    @router.get("/ui/login", dependencies=anyone)
    async def login_page(request: Request, next: Next = None) -> Response:
        return render(request, "login.html", next=safe_next(next) or "", error="")

    @router.post("/ui/login", dependencies=anyone)
    async def login(request: Request, username: Annotated[str, Form(max_length=50)] = "",
                    password: Annotated[str, Form(max_length=200)] = "",
                    next: Annotated[str, Form(max_length=500)] = "") -> Response:
        """Signs in through the accounts API (its lock-out and audit apply) and keeps the
        token in a session cookie: HttpOnly, SameSite=Strict, Secure."""
        web.same_origin(request)
        t = i18n.Translator(web.lang_of(request))
        if not username or not password:
            return render(request, "login.html", status_code=422, next=safe_next(next) or "",
                          error=t("login.missing"), username=username)
        try:
            answer = await request.app.state.peers.call(
                "intake", "POST", "/api/v1/auth/login", token=None,
                client_host=client_address(request),
                json={"username": username, "password": password})
        except PeerError as exc:
            key = {401: "login.wrong", 429: "login.locked"}.get(exc.status)
            error = t(key) if key else exc.message(t.lang)
            return render(request, "login.html", status_code=exc.status if key else 503,
                          next=safe_next(next) or "", error=error, username=username)
        target = safe_next(next) or nav.home(Role(answer["role"]))
        response = see_other(target)
        expires = datetime.fromisoformat(answer["expires_at"]).astimezone(UTC)
        response.set_cookie(SESSION, answer["access_token"], expires=expires, path="/",
                            httponly=True, samesite="strict", secure=settings.cookie_secure)
        return response

    @router.post("/ui/logout")
    async def logout(request: Request, person: Annotated[Viewer, Depends(viewer())]) -> Response:
        """Signs out: the session's token is revoked and the cookie dropped."""
        await web.form_of(request, person)
        with contextlib.suppress(PeerError):  # the cookie goes anyway
            await person.call("intake", "POST", "/api/v1/auth/logout")
        response = see_other("/ui/login")
        response.delete_cookie(SESSION, path="/")
        return response

    @router.get("/ui/lang", dependencies=anyone)
    async def switch_language(to: Annotated[str, Query(pattern="^(zh|en)$")],
                              next: Next = None) -> Response:
        target = safe_next(next) or "/ui/"
        response = see_other(target)
        response.set_cookie(i18n.COOKIE, to, max_age=365 * 24 * 3600, path="/",
                            samesite="lax", secure=settings.cookie_secure)
        return response

    return router


