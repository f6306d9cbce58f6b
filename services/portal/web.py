"""What every page shares: who is looking (``Viewer``, from the session cookie), rendering a
template with the person's language and navigation, the pages' own security policy, forms
checked against cross-site requests, and refusals shown as pages rather than JSON."""

import functools
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from starlette.datastructures import FormData

from services.accounts.domain import Actor, Role
from services.accounts.http import Authenticator
from services.common.access import mark_access
from services.common.errors import ApiError
from services.common.ratelimit import client_address
from services.portal import format, i18n, nav
from services.portal.peers import PeerError, Peers

if TYPE_CHECKING:
    from fastapi.templating import Jinja2Templates

SESSION = "onedoor_session"
# Pages load only what the service itself serves: no CDN, no inline script.
PAGE_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


@functools.cache
def templates() -> "Jinja2Templates":
    """The screens' templates, made for the first page shown: Jinja2 is loaded once someone
    opens a screen, not in every start of intake."""
    from fastapi.templating import Jinja2Templates

    found = Jinja2Templates(directory=Path(__file__).parent / "templates")
    found.env.autoescape = True
    found.env.filters.update(format.FILTERS)
    return found


def is_page(path: str) -> bool:
    """A screen's path (HTML for people), as against the services' APIs."""
    return path == "/" or path.startswith(("/ui/", "/status"))


class SignInNeeded(Exception):
    """No valid session: the page answers with the sign-in page (303)."""


class PageRefused(Exception):
    """A page that may not be shown: an error page with ``status`` and the message key."""

    def __init__(self, status: int, key: str, detail: str = "") -> None:
        self.status, self.key, self.detail = status, key, detail
        super().__init__(key)


@dataclass
class Viewer:
    """The signed-in person looking at a page, with what a page needs to act as them."""

    actor: Actor
    token: str
    lang: str
    client: str
    peers: Peers

    @property
    def t(self) -> i18n.Translator:
        return i18n.Translator(self.lang)

    @property
    def csrf(self) -> str:
        return csrf_token(self.token)

    async def call(self, service: str, method: str, path: str, **kwargs: Any) -> Any:
        """The API ``method path`` of ``service``, as this person."""
        return await self.peers.call(service, method, path, token=self.token,
                                     client_host=self.client, **kwargs)

    async def get(self, service: str, path: str, **params: Any) -> Any:
        given = {k: v for k, v in params.items() if v not in (None, "")}
        return await self.call(service, "GET", path, params=given)


def csrf_token(session_token: str) -> str:
    """The session's form token: a form's hidden ``csrf`` must carry it."""
    return hmac.new(session_token.encode(), b"onedoor-form", hashlib.sha256).hexdigest()[:32]


def lang_of(request: Request) -> str:
    return i18n.lang_of(request.cookies.get(i18n.COOKIE))


def peers_of(request: Request) -> Peers:
    return request.app.state.peers


def viewer(*roles: Role) -> Callable[..., Awaitable[Viewer]]:
    """A page's dependency: the signed-in person (sign-in page if none), if their role is one
    of ``roles`` (a refusal page otherwise)."""
    allowed = tuple(roles) or tuple(Role)

    async def who(request: Request) -> Viewer:
        token = request.cookies.get(SESSION)
        if not token:
            raise SignInNeeded
        auth: Authenticator = request.app.state.authenticator
        try:
            actor = await auth.actor(HTTPAuthorizationCredentials(scheme="Bearer",
                                                                  credentials=token),
                                     client_address(request))
        except ApiError as exc:
            if exc.status == 429:
                raise PageRefused(429, "common.too_many") from None
            raise SignInNeeded from None
        if actor.role not in allowed:
            raise PageRefused(403, "common.forbidden")
        auth.check_region(actor)
        return Viewer(actor, token, lang_of(request), client_address(request), peers_of(request))

    return mark_access(who, "signed-in " + ", ".join(allowed))


def same_origin(request: Request) -> None:
    """A form posted from another site is refused (403), signing in included. Browsers say
    where a request comes from in ``Sec-Fetch-Site``; older ones only in ``Origin`` (which
    is "null" under the pages' no-referrer policy, so it decides only when it names a site).
    A client that sends neither is not a browser page of another site."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        if site not in ("same-origin", "none"):  # none: typed or bookmarked by the person
            raise PageRefused(403, "common.bad_form")
        return
    origin = request.headers.get("origin")
    # Behind a reverse proxy that rewrites Host, the host people used is X-Forwarded-Host.
    ours = {request.headers.get("host"), request.headers.get("x-forwarded-host")}
    if origin and origin != "null" and urlsplit(origin).netloc not in ours:
        raise PageRefused(403, "common.bad_form")


async def form_of(request: Request, person: Viewer) -> FormData:
    """A posted form, if it comes from this site with the session's form token (403
    otherwise)."""
    same_origin(request)
    form = await request.form()
    given = form.get("csrf")
    if not isinstance(given, str) or not hmac.compare_digest(given, person.csrf):
        raise PageRefused(403, "common.bad_form")
    return form


def render(request: Request, template: str, person: Viewer | None = None, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    """``template`` with the person's language, navigation and form token."""
    lang = person.lang if person else lang_of(request)
    t = i18n.Translator(lang)
    context |= {"t": t, "lang": lang, "person": person, "csrf": person.csrf if person else "",
                "nav": nav.links(person.actor.role if person else None, request.url.path),
                "here": request.url.path, "here_query": str(request.url.query)}
    response = templates().TemplateResponse(request, template, context, status_code=status_code)
    response.headers["content-security-policy"] = PAGE_CSP
    return response


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def safe_next(target: str | None) -> str | None:
    """Only a path of the screens themselves (no open redirect to another site)."""
    if target and target.startswith(("/ui/", "/status")) and "//" not in target \
            and "\\" not in target:
        return target
    return None


def install(app: Any) -> None:
    """Refusals of the pages as pages: no session → sign-in, others → an error page."""

    async def sign_in(request: Request, _exc: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response = see_other(f"/ui/login?next={quote(target, safe='')}")
        if request.cookies.get(SESSION):
            response.delete_cookie(SESSION, path="/")
        return response

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageRefused)
        return render(request, "error.html", None, status_code=exc.status, message_key=exc.key,
                      detail=exc.detail)

    async def peer_failed(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PeerError)
        if exc.status == 401:
            return await sign_in(request, exc)
        return render(request, "error.html", None, status_code=exc.status if exc.status in
                      (403, 404, 409, 422, 429) else 503, message_key="",
                      detail=exc.message(lang_of(request)))

    app.add_exception_handler(SignInNeeded, sign_in)
    app.add_exception_handler(PageRefused, refused)
    app.add_exception_handler(PeerError, peer_failed)
