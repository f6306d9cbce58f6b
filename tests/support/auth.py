"""Signed-in test clients: accounts made in the system's own identity store (with the same
store code the services use), and HTTP clients that carry their tokens.

Who a client acts as, most specific first:
- ``client.as_(username, role, department)``: that account (made on first use);
- the body names the actor (``by``, ``decided_by``, ``received_by``, ``from_staff``,
  ``approved_by``): an account of that username, with the client's role — so a test that
  says ``{"by": "mz-01"}`` acts as the account mz-01, as staff signed in as mz-01 would;
- otherwise the client's default account: ``<role>-test`` (``<department>-test``).
The server takes the actor from the token alone; the body only chooses which token is sent.
In-process clients default by service (``running``): intake a window account, a department
an account of that department, routing and notify a supervisor.
"""

import asyncio
import json
import threading
from collections.abc import AsyncGenerator, Generator
from typing import Any

import httpx

from contracts import Department
from services.accounts import handlers
from services.accounts.domain import USERNAME, Role
from services.accounts.handlers import NewAccount
from services.accounts.store import AccountStore
from services.common.settings import Settings
from services.launcher.topology import topology

TOWNSHIP = "测试镇"  # every window account of a test, unless it says otherwise
ACTOR_FIELDS = ("by", "decided_by", "received_by", "from_staff", "approved_by")
DEPARTMENTS = [d.value for d in Department]


def default_username(role: Role, department: str | None) -> str:
    return f"{department}-test" if role == Role.department else f"{role}-test"


def actor_in(content: bytes) -> str | None:
    """The username a request body names as its actor, if any."""
    try:
        body = json.loads(content) if content else None
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    return next((body[f] for f in ACTOR_FIELDS if isinstance(body.get(f), str) and body[f]), None)


class Staff:
    """The accounts of one system under test, each made on first use; tokens kept."""

    def __init__(self, store: AccountStore) -> None:
        self.store = store
        self._tokens: dict[str, str] = {}

    @classmethod
    def of(cls, settings: Settings) -> "Staff":
        return cls(AccountStore(settings))

    async def token(self, username: str, role: Role, department: str | None = None,
                    township: str | None = TOWNSHIP) -> str:
        """A token of the account ``username`` (made with this role and department, a window
        account in ``township``, if it does not exist)."""
        if username in self._tokens:
            return self._tokens[username]
        existing = await self.store.account(username)
        if existing is None:
            try:
                issued = await handlers.add_account(self.store, NewAccount(
                    username, username, role, department if role == Role.department else None,
                    township if role == Role.window else None),
                    departments=DEPARTMENTS, with_password=False, token_label="test")
            except handlers.AccountError as exc:
                if exc.code != "username_taken":  # another client made it meanwhile
                    raise
                issued = await handlers.issue_token(self.store, username, label="test")
        else:
            issued = await handlers.issue_token(self.store, username, label="test")
        assert issued.token
        self._tokens[username] = issued.token
        return issued.token

    async def account(self, username: str, role: Role, department: str | None = None,
                      township: str | None = TOWNSHIP) -> str:
        """Make sure the account exists (e.g. a colleague to hand over to); its token."""
        return await self.token(username, role, department, township)

    def forget(self, username: str) -> None:
        """Ask for a new token next time (after a reset revoked it, say)."""
        self._tokens.pop(username, None)


class SignedIn(httpx.Auth):
    """Bearer tokens for an in-process client (see the module's docstring)."""

    requires_request_body = True

    def __init__(self, staff: Staff, role: Role, department: str | None = None,
                 username: str | None = None, township: str | None = TOWNSHIP,
                 ops_for_ops: bool = False) -> None:
        self.staff, self.role, self.department = staff, role, department
        self.username, self.township = username, township
        # A service's usual client asks its operations API (/api/v1/ops/…) as ops staff.
        self.ops_for_ops = ops_for_ops

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, Any]:
        await request.aread()
        role, department = self.role, self.department
        if self.ops_for_ops and request.url.path.startswith("/api/v1/ops/"):
            role, department = Role.ops, None
        username = (self.username or actor_in(request.content)
                    or default_username(role, department))
        token = await self.staff.token(username, role, department, self.township)
        request.headers["Authorization"] = f"Bearer {token}"
        yield request


class StaffClient(httpx.AsyncClient):
    """An HTTP client to one service, signed in (``SignedIn``); ``ops_for_ops``: its
    operations API as an ops account (a service's usual client, from ``running``)."""

    def __init__(self, *, staff: Staff, role: Role, department: str | None = None,
                 username: str | None = None, township: str | None = TOWNSHIP,
                 ops_for_ops: bool = False, **kwargs: Any) -> None:
        self.staff, self.role, self.department = staff, role, department
        self._kwargs = kwargs
        auth = SignedIn(staff, role, department, username, township, ops_for_ops)
        super().__init__(auth=auth, **kwargs)

    def as_(self, username: str | None = None, role: Role | str | None = None,
            department: str | None = None, township: str | None = TOWNSHIP) -> "StaffClient":
        """Another client to the same service, acting as ``username`` (with ``role``; the
        department's own by default for department accounts)."""
        role = Role(role) if role else self.role
        if role == Role.department:
            department = department or self.department
        return StaffClient(staff=self.staff, role=role, department=department,
                           username=username, township=township, **self._kwargs)

    def anonymous(self) -> httpx.AsyncClient:
        """The same service with no credential at all."""
        return httpx.AsyncClient(**self._kwargs)

    async def token(self, username: str | None = None) -> str:
        """The token this client sends (for ``username``, else its default account)."""
        return await self.staff.token(username or default_username(self.role, self.department),
                                      self.role, self.department)


def default_role(service_name: str) -> tuple[Role, str | None]:
    """Whom an in-process client of a service acts as by default."""
    if service_name.startswith("department_"):
        return Role.department, service_name.removeprefix("department_")
    if service_name == "intake":
        return Role.window, None
    return Role.supervisor, None


# --- services as processes ------------------------------------------------------------

class SyncStaff:
    """``Staff`` for tests that drive processes over plain (sync) HTTP: each store call runs
    on a loop of its own thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()

    def token(self, username: str, role: Role, department: str | None = None,
              township: str | None = TOWNSHIP) -> str:
        with self._lock:
            if username not in self._tokens:
                self._tokens[username] = _run(self._make(username, role, department, township))
            return self._tokens[username]

    async def _make(self, username: str, role: Role, department: str | None,
                    township: str | None) -> str:
        staff = Staff.of(self.settings)
        try:
            return await staff.token(username, role, department, township)
        finally:
            await staff.store.close()

    def headers(self, username: str, role: Role, department: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username, role, department)}"}


def _run(coroutine: Any) -> Any:
    """Run ``coroutine`` to the end on a fresh loop (in a thread: the caller may be in one)."""
    result: list[Any] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coroutine))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


class ProcessAuth(httpx.Auth):
    """Bearer tokens for a system of processes on ``http_port`` (the topology): intake's
    port → a window account, a department's → one of that department, routing and notify →
    a supervisor, ``/api/v1/ops/…`` → an ops account; the body's actor field names the
    account as for in-process clients. Other hosts and ports get no credential."""

    requires_request_body = True

    def __init__(self, staff: SyncStaff, http_port: int | None = None,
                 roles: dict[int, tuple[Role, str | None]] | None = None) -> None:
        """``roles``: port → (role, department), for processes not laid out as ``up`` does."""
        self.staff = staff
        self.roles: dict[int, tuple[Role, str | None]] = dict(roles or {})
        for spec in topology(http_port) if http_port is not None else []:
            self.roles[spec.port] = (
                (Role.department, spec.department) if spec.department else
                (Role.window, None) if spec.service == "intake" else (Role.supervisor, None))

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, Any, None]:
        request.read()
        if request.url.port in self.roles and "authorization" not in request.headers:
            role, department = self.roles[request.url.port]
            if request.url.path.startswith("/api/v1/ops/"):
                role, department = Role.ops, None
            username = actor_in(request.content) or default_username(role, department)
            token = self.staff.token(username, role, department)
            request.headers["Authorization"] = f"Bearer {token}"
        yield request


class Signer:
    """Headers for requests built elsewhere (the fuzzer's): the account the body names as its
    actor when that is a username, else the default account of ``role``."""

    def __init__(self, staff: SyncStaff, role: Role, department: str | None = None) -> None:
        self.staff, self.role, self.department = staff, role, department

    def headers(self, body: Any) -> dict[str, str]:
        named = actor_in(json.dumps(body).encode()) if isinstance(body, dict) else None
        if not isinstance(named, str) or not USERNAME.fullmatch(named):
            named = default_username(self.role, self.department)
        return self.staff.headers(named, self.role, self.department)
