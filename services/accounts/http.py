"""The FastAPI side of accounts: who is calling (``Authenticator``), and what every route
declares about who may call it (``allow``, ``own_department``, ``loopback_or``, ``public``).

``Authorization: Bearer <token>``: an API token ``od_<id>.<secret>`` of the identity store,
or (when configured) an OIDC access token. A resolved credential is kept
``auth_cache_seconds`` so that the store is not read on every request, and a disabled account
is refused within those seconds. 401 without a valid credential, 403 for a role that may not,
both in the common bilingual error body with ``WWW-Authenticate: Bearer``. A client address
that sends too many invalid credentials is refused for a while (429, ``token_failures``
settings), its block recorded in the audit trail.
"""

import contextlib
import hashlib
import ipaddress
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.accounts import domain
from services.accounts.domain import Actor, Role
from services.accounts.models import RATE_LIMITS
from services.accounts.oidc import OidcRefused, OidcSettings, OidcVerifier, looks_like_jwt
from services.accounts.store import AccountStore
from services.common import audit_trail
from services.common.access import mark_access
from services.common.clock import Clock, SystemClock
from services.common.errors import ApiError
from services.common.ratelimit import Limiter, Rule, client_address, too_many
from services.common.settings import Settings

log = logging.getLogger(__name__)

_CACHE_MAX = 10_000  # distinct credentials kept; past it the cache starts again
_bearer = HTTPBearer(auto_error=False, description="an API token (od_…) or an OIDC access token")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def unauthenticated(reason: str = "missing") -> ApiError:
    zh = {"missing": "请先登录：缺少身份凭证。", "invalid": "身份凭证无效、已过期或已停用，请重新登录。"}
    en = {"missing": "Sign in first: no credential was given.",
          "invalid": "The credential is invalid, expired, revoked or its account disabled."}
    return ApiError(401, "unauthenticated", en[reason], zh[reason],
                    headers={"WWW-Authenticate": 'Bearer realm="onedoor"'
                             + ('' if reason == "missing" else ', error="invalid_token"')})


def forbidden(message: str, message_zh: str, code: str = "forbidden") -> ApiError:
    return ApiError(403, code, message, message_zh,
                    headers={"WWW-Authenticate": 'Bearer realm="onedoor", error="insufficient_scope"'})


class Authenticator:
    """Resolves a request's bearer credential to an ``Actor`` (or refuses it)."""

    def __init__(self, settings: Settings, store: AccountStore | None = None,
                 clock: Clock | None = None) -> None:
        self.store = store or AccountStore(settings)
        self.region = settings.region
        self.ttl = settings.auth_cache_seconds
        config = OidcSettings.of(settings)
        self.oidc = OidcVerifier(config) if config else None
        self._cache: dict[str, tuple[float, Actor]] = {}
        # Counted in the identity store, which every process of every service shares.
        self.limiter = Limiter(self.store, RATE_LIMITS, clock or SystemClock(),
                               sqlite_db=self.store.db.is_sqlite)
        self.bad_tokens = Rule("token-address", settings.token_failures,
                               timedelta(minutes=settings.token_window_minutes),
                               timedelta(minutes=settings.token_lock_minutes))

    def keep_time(self, clock: Clock) -> None:
        """Count attempts by the service's clock (tests move it instead of waiting)."""
        self.limiter.clock = clock

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """For the app's life: the store opened (and migrated) at start, closed at the end."""
        await self.store.open()
        try:
            yield
        finally:
            await self.store.close()

    async def actor(self, credentials: HTTPAuthorizationCredentials | None,
                    client: str | None = None) -> Actor:
        """The caller; 401 unless the credential is valid now; 429 while ``client`` (its
        address) is blocked for sending too many invalid ones."""
        if credentials is None or not credentials.credentials:
            raise unauthenticated()
        if client and (until := self.limiter.locked_here(self.bad_tokens, client)):
            raise too_many(until, self.limiter.clock.now())
        token = credentials.credentials
        key = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached and now - cached[0] < self.ttl:
            return cached[1]
        actor = await self._resolve(token)
        if actor is None:
            self._cache.pop(key, None)
            await self._invalid(client)
            raise unauthenticated("invalid")
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[key] = (now, actor)
        return actor

    def forget(self, token: str) -> None:
        """Drop ``token`` from the cache (signed out: refused here at once)."""
        self._cache.pop(hashlib.sha256(token.encode()).hexdigest(), None)

    async def _invalid(self, client: str | None) -> None:
        """Count an invalid credential of ``client``; 429 once it is blocked (the request
        that blocks it, still a 401, is recorded in the audit trail)."""
        if not client:
            return
        until, now_blocked = await self.limiter.failed(self.bad_tokens, client)
        if now_blocked:  # this one is still a 401; the next ones are 429s
            log.warning("a client address is blocked after %d invalid credentials",
                        self.bad_tokens.attempts)
            audit_trail.note("blocked")
        elif until is not None:
            raise too_many(until, self.limiter.clock.now())

    async def _resolve(self, token: str) -> Actor | None:
        if token.startswith(domain.TOKEN_PREFIX):
            return await self.store.token_holder(token)
        if self.oidc is None or not looks_like_jwt(token):
            return None
        try:
            actor = await self.oidc.actor(token)
        except OidcRefused as exc:
            log.info("OIDC token refused: %s", exc)
            return None
        local = await self.store.account(actor.username)
        if local is not None and local.disabled:  # switched off here, whatever the SSO says
            return None
        return actor

    def guards(self) -> dict[str, Any]:
        """What ``services.common.http.service_app`` guards its shared routes with."""
        return {"ops": allow(Role.ops), "health": loopback_or(Role.ops),
                "audit": allow(Role.supervisor)}

    def check_region(self, actor: Actor) -> None:
        if actor.region is not None and actor.region != self.region:
            raise forbidden(f"this account belongs to region {actor.region}",
                            "该账号不属于本地区", "other_region")


def authenticator_of(request: Request) -> Authenticator:
    return request.app.state.authenticator


def _names(roles: tuple[Role, ...]) -> tuple[str, str]:
    return (", ".join(roles), "、".join(domain.ROLE_NAMES_ZH[r] for r in roles))


def allow(*roles: Role) -> Callable[..., Awaitable[Actor]]:
    """A dependency: the caller, if their role is one of ``roles`` (401 / 403 otherwise)."""
    allowed = tuple(roles)
    en, zh = _names(allowed)

    async def caller(request: Request, credentials: Bearer) -> Actor:
        auth = authenticator_of(request)
        actor = await auth.actor(credentials, client_address(request))
        audit_trail.note_actor(actor.account_id, actor.username, actor.role)
        if actor.role not in allowed:
            raise forbidden(f"this needs the role {en}; you are {actor.role}",
                            f"无权操作：需要{zh}角色")
        auth.check_region(actor)
        return actor

    return mark_access(caller, en)


def authenticated() -> Callable[..., Awaitable[Actor]]:
    """Any signed-in staff member (reference data: catalogues, time limits)."""
    return allow(*Role)


def own_department(department: str, *, supervisors_write: bool = False,
                   ) -> Callable[..., Awaitable[Actor]]:
    """A department's service: its own staff (any request), supervisors reading (and writing
    too if ``supervisors_write``); accounts of another department are refused (403)."""
    inner = allow(Role.department, Role.supervisor)

    async def caller(request: Request, actor: Annotated[Actor, Depends(inner)]) -> Actor:
        writing = request.method not in ("GET", "HEAD", "OPTIONS")
        if actor.role == Role.supervisor and (supervisors_write or not writing):
            return actor
        if not domain.may_use_department(actor, department, writing=writing):
            if actor.role == Role.supervisor:
                raise forbidden("supervisors read a department's tasks; its staff handle them",
                                "督办人员可查看部门任务，但办理须由本部门人员进行")
            raise forbidden(f"this is {department}'s service; you are of {actor.department}",
                            "无权操作：只能处理本部门的任务", "other_department")
        return actor

    return mark_access(caller, f"department {department} (supervisors reading)")


LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def is_loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in net for net in LOOPBACK)


def loopback_or(*roles: Role) -> Callable[..., Awaitable[Actor | None]]:
    """Open to clients on this machine (``onedoor up``'s readiness wait, a local scraper);
    others need one of ``roles``."""
    inner = allow(*roles)

    async def caller(request: Request, credentials: Bearer) -> Actor | None:
        if is_loopback(request):
            return None
        return await inner(request, credentials)

    return mark_access(caller, f"loopback, or {_names(tuple(roles))[0]}")


async def _public() -> None:
    return None


def public() -> Callable[[], Awaitable[None]]:
    """Open to anyone (signing in)."""
    return mark_access(_public, "public")


def claimed(actor: Actor, **given: str | None) -> str:
    """The acting person is the caller: each body field given (``by="…"``) must name them
    (422, the field named); returns the caller's username."""
    wrong = [name for name, value in given.items() if value is not None and value != actor.username]
    if wrong:
        raise ApiError(422, "validation_failed", "The request has invalid fields.",
                       "提交的内容有误，请按提示逐项修改。", [
                           {"field": name, "reason": f"must be the signed-in account "
                            f"({actor.username}) or left out", "reason_zh":
                            f"须为当前登录账号（{actor.username}）或不填"} for name in wrong])
    return actor.username
