"""Guessing is slowed (issue 9): an account is locked after five wrong passwords (the sixth
attempt is a 429 even with the right password) until the lock time has passed — moved on
the services' clock, not waited for; one address trying many accounts is locked too; a burst
of invalid tokens from one address is refused (429) for a while. Each lock is in the audit.
A page of its own limits its failures per address with the same counts."""

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, FastAPI

from services.accounts import handlers
from services.accounts.domain import Role
from services.accounts.http import public
from services.common.clock import MovableClock
from services.common.errors import ApiError
from services.common.ratelimit import Attempt, Rule, per_address
from services.common.settings import Settings
from services.intake.app import create_app as create_intake
from services.routing.app import create_app as create_routing
from tests.integration.test_audit import audit_rows, one_row
from tests.integration.test_departments_rules import START
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.nats import NatsServer
from tests.support.surface import build

PASSWORD = "correct horse battery"


def _from(app: FastAPI, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 40000)),
                             base_url="http://service")


async def _account(app: FastAPI, username: str) -> None:
    await handlers.add_account(app.state.authenticator.store, handlers.NewAccount(
        username, username, Role.window, township="测试镇"), departments=[],
        password=PASSWORD)


def _locked(response: httpx.Response, most: int = 15 * 60) -> dict[str, Any]:
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["retry-after"]) <= most, response.headers
    error = response.json()["error"]
    assert error["code"] == "too_many_attempts" and "锁定" in error["message_zh"], error
    return error


async def test_the_sixth_wrong_password_locks_the_account_until_the_lock_time_has_passed(
        backend: Backend, nats_server: NatsServer) -> None:
    clock = MovableClock(START)
    app = create_intake(Settings(nats_url=nats_server.url, **backend.settings_kwargs()), clock)
    async with running(app), _from(app, "10.1.1.1") as client:
        await _account(app, "lock-me")
        await _account(app, "neighbour")

        def login(username: str, password: str) -> Any:
            return client.post("/api/v1/auth/login",
                               json={"username": username, "password": password})

        for _ in range(5):
            assert (await login("lock-me", "wrong")).status_code == 401
        _locked(await login("lock-me", PASSWORD))  # the sixth, right or not
        _locked(await login("lock-me", "wrong"))
        assert (await login("neighbour", PASSWORD)).status_code == 200  # the account, alone

        one_row(await audit_rows(app, action="lockout"), username="lock-me", role="window",
                route="POST /api/v1/auth/login", status=401, client="10.1.1.1")
        attempts = await audit_rows(app, action="sign_in", username="lock-me")
        assert [r["status"] for r in attempts] == [401] * 4  # the 429s are not rows

        clock.advance(minutes=14, seconds=59)
        _locked(await login("lock-me", PASSWORD))
        clock.advance(seconds=2)
        signed = await login("lock-me", PASSWORD)
        assert signed.status_code == 200, signed.text
        # A success forgets the failures: five more are needed to lock it again.
        for _ in range(4):
            assert (await login("lock-me", "wrong")).status_code == 401
        assert (await login("lock-me", PASSWORD)).status_code == 200


async def test_one_address_trying_many_accounts_is_locked(tmp_path: Path,
                                                          nats_server: NatsServer) -> None:
    clock = MovableClock(START)
    settings = Settings(nats_url=nats_server.url, data_dir=tmp_path, login_address_failures=6)
    app = create_intake(settings, clock)
    async with running(app), _from(app, "10.2.2.2") as sprayer, _from(app, "10.3.3.3") as other:
        await _account(app, "sprayed")
        for n in range(6):  # one password tried on six accounts, some of them unknown
            wrong = await sprayer.post("/api/v1/auth/login", json={
                "username": f"user-{n}", "password": "Password1"})
            assert wrong.status_code == 401
        _locked(await sprayer.post("/api/v1/auth/login", json={
            "username": "sprayed", "password": PASSWORD}))
        ok = await other.post("/api/v1/auth/login", json={"username": "sprayed",
                                                          "password": PASSWORD})
        assert ok.status_code == 200
        lockout = one_row(await audit_rows(app, action="lockout"), client="10.2.2.2")
        assert lockout["username"] is None  # user-5 is no account: its name is not recorded
        clock.advance(minutes=16)
        assert (await sprayer.post("/api/v1/auth/login", json={
            "username": "sprayed", "password": PASSWORD})).status_code == 200


async def test_a_burst_of_invalid_tokens_from_one_address_is_refused_for_a_while(
        backend: Backend, nats_server: NatsServer) -> None:
    clock = MovableClock(START)
    settings = Settings(nats_url=nats_server.url, token_failures=10, **backend.settings_kwargs())
    app = create_routing(settings, clock)
    async with running(app) as routing, _from(app, "10.4.4.4") as attacker, \
            _from(app, "10.5.5.5") as bystander:
        token = await routing.token("burst-director")
        good = {"Authorization": f"Bearer {token}"}
        for n in range(10):
            guessed = {"Authorization": f"Bearer od_{n:032x}.{'x' * 43}"}
            response = await attacker.get("/api/v1/supervision/overdue", headers=guessed)
            assert response.status_code == 401, (n, response.text)
        for headers in ({"Authorization": "Bearer od_" + "f" * 32 + "." + "y" * 43}, good):
            _locked(await attacker.get("/api/v1/supervision/overdue", headers=headers))
        assert (await bystander.get("/api/v1/supervision/overdue", headers=good)).status_code \
            == 200
        one_row(await audit_rows(app, action="blocked"), client="10.4.4.4", status=401,
                route="GET /api/v1/supervision/overdue", username=None)

        clock.advance(minutes=5, seconds=1)
        assert (await attacker.get("/api/v1/supervision/overdue", headers=good)).status_code \
            == 200


def test_the_limits_are_settings_with_sane_defaults() -> None:
    settings = Settings()
    assert (settings.login_failures, settings.login_window_minutes,
            settings.login_lock_minutes) == (5, 15, 15)
    assert settings.token_failures >= 20 and timedelta(minutes=settings.token_lock_minutes)


async def test_an_applicant_page_can_limit_its_failures_per_address(tmp_path: Path) -> None:
    """The reusable form (services/common/ratelimit.py) for the applicant's pages to come."""
    app = build("notify", tmp_path)
    clock = MovableClock(START)
    app.state.limiter.clock = clock
    checks = Rule("status-page", attempts=3, window=timedelta(minutes=10),
                  lock=timedelta(minutes=30))
    router = APIRouter()

    @router.get("/api/v1/status/{code}", dependencies=[Depends(public())])
    async def status(code: str, attempt: Annotated[Attempt, Depends(per_address(checks))]
                     ) -> dict[str, str]:
        if code != "right":
            await attempt.failed()
            raise ApiError(404, "not_found", "No such application.", "未找到该申请。")
        await attempt.succeeded()
        return {"status": "in_progress"}

    app.include_router(router)
    async with _from(app, "10.6.6.6") as guesser, _from(app, "10.7.7.7") as applicant:
        for _ in range(2):
            assert (await guesser.get("/api/v1/status/guess")).status_code == 404
        # The third failure locks at once, for half an hour.
        assert _locked(await guesser.get("/api/v1/status/guess"), 1800)
        assert _locked(await guesser.get("/api/v1/status/right"), 1800)
        assert (await applicant.get("/api/v1/status/right")).status_code == 200
        clock.advance(minutes=31)
        assert (await guesser.get("/api/v1/status/right")).status_code == 200
