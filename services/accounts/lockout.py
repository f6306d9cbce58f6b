"""Signing in with a password, guarded against guessing: an account is locked after
``login_failures`` wrong passwords within the window (the right password included, until
the lock ends), and so is a client address after ``login_address_failures`` (trying one
password on many accounts). Unknown usernames are counted and locked as known ones are, so
that a lock says nothing about which accounts exist."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.accounts import handlers
from services.accounts.handlers import Issued
from services.accounts.store import AccountStore
from services.common.ratelimit import Limiter, Rule
from services.common.settings import Settings


@dataclass(frozen=True)
class SignInRules:
    account: Rule
    address: Rule

    @classmethod
    def of(cls, settings: Settings) -> "SignInRules":
        window = timedelta(minutes=settings.login_window_minutes)
        lock = timedelta(minutes=settings.login_lock_minutes)
        return cls(Rule("login-account", settings.login_failures, window, lock),
                   Rule("login-address", settings.login_address_failures, window, lock))


class LockedOut(Exception):
    """Signing in is refused until ``until``."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"locked until {until.isoformat()}")
        self.until = until


@dataclass(frozen=True)
class Outcome:
    issued: Issued | None  # None: the username or password is wrong
    locked_now: bool = False  # this failure locked the account or the address


async def sign_in(store: AccountStore, limiter: Limiter, rules: SignInRules, username: str,
                  password: str, client: str, lifetime: timedelta) -> Outcome:
    """A token for the right password of an enabled account that is not locked, nor its
    client address; LockedOut while either is."""
    for rule, key in ((rules.account, username), (rules.address, client)):
        if (until := await limiter.locked(rule, key)) is not None:
            raise LockedOut(until)
    issued = await handlers.login(store, username, password, lifetime)
    if issued is not None and issued.token is not None:
        await limiter.clear(rules.account, username)
        return Outcome(issued)
    _, account_locked = await limiter.failed(rules.account, username)
    _, address_locked = await limiter.failed(rules.address, client)
    return Outcome(None, locked_now=account_locked or address_locked)
