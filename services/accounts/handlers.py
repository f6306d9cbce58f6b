"""Changes to the identity store, one transaction each: add an account, disable it, reset its
credentials, issue a token, sign in with a password."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.accounts import domain
from services.accounts.domain import Role
from services.accounts.models import Account, ApiToken
from services.accounts.passwords import DUMMY_HASH, hash_password, verify_password
from services.accounts.store import AccountStore, secret_digest


class AccountError(Exception):
    """A change the store refuses: ``status`` as HTTP would say it, ``field`` at fault."""

    def __init__(self, status: int, code: str, message: str, message_zh: str,
                 field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.message_zh = status, code, message, message_zh
        self.field = field


@dataclass(frozen=True)
class NewAccount:
    username: str
    display_name: str
    role: Role
    department: str | None = None
    township: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class Issued:
    """What is shown once: the account, its new password (if one was set) and token."""

    account: Account
    password: str | None
    token: str | None
    expires_at: datetime | None = None


async def add_account(store: AccountStore, new: NewAccount, *, departments: list[str],
                      password: str | None = None, with_password: bool = True,
                      token_label: str = "staff add") -> Issued:
    """A new account with a password (``password``, or one generated) and an API token."""
    try:
        domain.check_account(new.username, new.role, new.department, departments)
    except domain.AccountRuleError as exc:
        raise AccountError(422, "invalid_account", exc.message, exc.message_zh,
                           exc.field) from None
    if with_password and password is None:
        password = domain.new_password()
    now = store.clock.now()
    account = Account(id=uuid.uuid4().hex, username=new.username,
                      display_name=new.display_name or new.username, role=new.role,
                      department=new.department, township=new.township, region=new.region,
                      password_hash=hash_password(password) if password else None,
                      disabled=False, created_at=now)
    try:
        async with store.writing() as session:
            session.add(account)
            await session.flush()
            token = _new_token(session, account, token_label, now, None)
    except IntegrityError:
        raise AccountError(409, "username_taken", f"an account {new.username} exists already",
                           f"用户名 {new.username} 已被使用", "username") from None
    return Issued(account, password, token)


async def ensure_account(store: AccountStore, new: NewAccount, *, departments: list[str],
                         password: str | None = None) -> bool:
    """The account, created (with ``password`` if given, no token) unless one of its username
    exists; True if it was created. Processes racing to create it: one does."""
    if await store.account(new.username) is not None:
        return False
    try:
        await add_account(store, new, departments=departments, password=password,
                          with_password=password is not None, token_label="ensure")
    except AccountError as exc:
        if exc.code == "username_taken":
            return False
        raise
    return True


async def disable_account(store: AccountStore, username: str) -> Account:
    """Disable the account: every token of it is refused from now on (within the cache's
    seconds in running services). Disabling it again changes nothing."""
    async with store.writing() as session:
        account = await _get(session, username)
        if not account.disabled:
            account.disabled, account.disabled_at = True, store.clock.now()
        return account


async def reset_credentials(store: AccountStore, username: str, *, password: bool = True,
                            token: bool = True, new_password: str | None = None,
                            token_label: str = "staff reset") -> Issued:
    """A new password and/or a new token; every earlier token is revoked."""
    now = store.clock.now()
    async with store.writing() as session:
        account = await _get(session, username)
        await session.execute(update(ApiToken).where(
            ApiToken.account_id == account.id, ApiToken.revoked_at.is_(None)).values(revoked_at=now))
        chosen = None
        if password:
            chosen = new_password or domain.new_password()
            account.password_hash = hash_password(chosen)
        issued = _new_token(session, account, token_label, now, None) if token else None
        return Issued(account, chosen, issued)


async def issue_token(store: AccountStore, username: str, *, label: str,
                      lifetime: timedelta | None = None) -> Issued:
    """One more token of an enabled account (the earlier ones stay valid)."""
    now = store.clock.now()
    expires = now + lifetime if lifetime else None
    async with store.writing() as session:
        account = await _get(session, username)
        if account.disabled:
            raise AccountError(409, "account_disabled", f"{username} is disabled",
                               f"账号 {username} 已停用")
        return Issued(account, None, _new_token(session, account, label, now, expires), expires)


async def login(store: AccountStore, username: str, password: str,
                lifetime: timedelta) -> Issued | None:
    """A token that expires after ``lifetime`` for the right password of an enabled account;
    None otherwise (which of the two was wrong is not said)."""
    account = await store.account(username)
    if account is None:
        verify_password(DUMMY_HASH, password)  # as long as a wrong password takes
        return None
    if not verify_password(account.password_hash, password) or account.disabled:
        return None
    return await issue_token(store, username, label="login", lifetime=lifetime)


async def revoke_token(store: AccountStore, token: str) -> bool:
    """Revoke one API token (signing out); False if it is not a valid one."""
    parsed = domain.parse_token(token)
    if parsed is None:
        return False
    async with store.writing() as session:
        done = await session.execute(update(ApiToken).where(
            ApiToken.id == parsed[0], ApiToken.secret_sha256 == secret_digest(parsed[1]),
            ApiToken.revoked_at.is_(None)).values(revoked_at=store.clock.now()))
    return bool(done.rowcount)


def _new_token(session: AsyncSession, account: Account, label: str, now: datetime,
               expires_at: datetime | None) -> str:
    token_id, secret, token = domain.new_token()
    session.add(ApiToken(id=token_id, account_id=account.id, secret_sha256=secret_digest(secret),
                         label=label[:50], created_at=now, expires_at=expires_at))
    return token


async def _get(session: AsyncSession, username: str) -> Account:
    account = await session.scalar(select(Account).where(Account.username == username)
                                   .with_for_update())
    if account is None:
        raise AccountError(404, "account_not_found", f"no account {username}",
                           f"没有账号 {username}", "username")
    return account
