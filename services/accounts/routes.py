"""The identity store's HTTP routes (served by intake, the window's service): signing in with
a password, who am I, and the administrators' accounts API."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from services.accounts import handlers, lockout
from services.accounts.domain import Actor, Role
from services.accounts.handlers import AccountError, NewAccount
from services.accounts.http import Authenticator, Bearer, allow, authenticated, public, unauthenticated
from services.accounts.lockout import LockedOut, SignInRules
from services.accounts.models import Account
from services.common import audit_trail
from services.common.errors import ApiError
from services.common.ratelimit import client_address, too_many
from services.common.text import StaffName
from services.common.timefmt import LocalTime

Username = Annotated[str, Path(min_length=1, max_length=50)]
LOGIN = {"login": {"summary": "窗口人员登录", "value": {"username": "window-01",
                                                    "password": "在 demo-accounts.json 中"}}}
ADD = {"window": {"summary": "新增窗口人员账号", "value": {
    "username": "window-05", "display_name": "李春梅", "role": "window", "township": "东风镇"}},
    "department": {"summary": "新增教育部门账号", "value": {
        "username": "jy-03", "display_name": "王建国", "role": "department",
        "department": "education"}}}
RESET = {"both": {"summary": "重置密码并换发令牌（旧令牌作废）",
                  "value": {"password": True, "token": True}}}


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=50)
    password: str = Field(min_length=1, max_length=200)


class LoginRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: LocalTime
    username: str
    role: Role


class ActorRead(BaseModel):
    username: str
    display_name: str
    role: Role
    department: str | None
    township: str | None
    via: str


class AccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    username: str
    display_name: str
    role: Role
    department: str | None
    township: str | None
    region: str | None
    disabled: bool
    created_at: LocalTime
    last_used_at: LocalTime | None


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    username: str = Field(min_length=1, max_length=50)
    display_name: StaffName
    role: Role
    department: str | None = Field(default=None, max_length=40)
    township: str | None = Field(default=None, max_length=100)


class ResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: bool = True
    token: bool = True


class Credentials(BaseModel):
    """Shown once: nothing here can be read again."""

    account: AccountRead
    password: str | None
    token: str | None


def build_router(authenticator: Authenticator, departments: list[str],
                 login_hours: float, rules: SignInRules) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["accounts"])
    store, limiter = authenticator.store, authenticator.limiter
    admin = [Depends(allow(Role.admin))]

    @router.post("/auth/login", response_model=LoginRead, responses={429: {
        "description": "Locked after too many failed attempts: wait Retry-After seconds"}},
        dependencies=[Depends(public()), Depends(audit_trail.audited("sign_in"))])
    async def login(request: Request,
                    body: Annotated[LoginRequest, Body(openapi_examples=LOGIN)]) -> LoginRead:
        """A username and password for a bearer token that expires (401 if either is wrong,
        without saying which). After too many failures the account (or the client address)
        is locked for a while: 429 with Retry-After, even for the right password."""
        if (account := await store.account(body.username)) is not None:
            audit_trail.note_actor(account.id, account.username, account.role)
        try:
            outcome = await lockout.sign_in(store, limiter, rules, body.username, body.password,
                                            client_address(request), timedelta(hours=login_hours))
        except LockedOut as exc:
            raise too_many(exc.until, limiter.clock.now()) from None
        issued = outcome.issued
        if outcome.locked_now:
            audit_trail.note("lockout")
        if issued is None or issued.token is None or issued.expires_at is None:
            raise unauthenticated("invalid")
        return LoginRead(access_token=issued.token, expires_at=issued.expires_at,
                         username=issued.account.username, role=Role(issued.account.role))

    @router.post("/auth/logout", status_code=204, dependencies=[Depends(authenticated())])
    async def logout(credentials: Bearer) -> None:
        """Sign out: the credential used for this request is revoked (an API token; an OIDC
        token ends at its issuer)."""
        if credentials is not None:
            await handlers.revoke_token(store, credentials.credentials)
            authenticator.forget(credentials.credentials)

    @router.get("/auth/me", response_model=ActorRead)
    async def me(actor: Annotated[Actor, Depends(authenticated())]) -> ActorRead:
        """Who the credential says you are."""
        return ActorRead(username=actor.username, display_name=actor.display_name,
                         role=actor.role, department=actor.department,
                         township=actor.township, via=actor.via)

    @router.get("/accounts", response_model=list[AccountRead],
                dependencies=[*admin, Depends(audit_trail.audited())])
    async def accounts() -> list[Account]:
        """Every account (administrators)."""
        return await store.accounts()

    @router.post("/accounts", response_model=Credentials, status_code=201, dependencies=admin)
    async def add(body: Annotated[AccountCreate, Body(openapi_examples=ADD)]) -> Credentials:
        """A new account, with a password and a token shown once (administrators)."""
        new = NewAccount(body.username, body.display_name, body.role, body.department,
                         body.township)
        audit_trail.about(target=f"username={body.username}")
        with translated():
            issued = await handlers.add_account(store, new, departments=departments)
        return _credentials(issued)

    @router.post("/accounts/{username}/disable", response_model=AccountRead, dependencies=admin)
    async def disable(username: Username) -> Account:
        """Disable an account: its tokens are refused within seconds (administrators)."""
        with translated():
            return await handlers.disable_account(store, username)

    @router.post("/accounts/{username}/reset", response_model=Credentials, dependencies=admin)
    async def reset(username: Username,
                    body: Annotated[ResetRequest, Body(openapi_examples=RESET)]) -> Credentials:
        """A new password and/or token, shown once; every earlier token is revoked."""
        with translated():
            issued = await handlers.reset_credentials(store, username, password=body.password,
                                                      token=body.token)
        return _credentials(issued)

    return router


def _credentials(issued: handlers.Issued) -> Credentials:
    return Credentials(account=AccountRead.model_validate(issued.account),
                       password=issued.password, token=issued.token)


class translated:
    """An AccountError as the common error body."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, _type: object, exc: BaseException | None, _tb: object) -> None:
        if isinstance(exc, AccountError):
            fields = ([{"field": exc.field, "reason": exc.message, "reason_zh": exc.message_zh}]
                      if exc.field else [])
            raise ApiError(exc.status, exc.code, exc.message, exc.message_zh, fields) from exc
