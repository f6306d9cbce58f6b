"""One address for people (issue 10): ``/`` leads to the sign-in page; a person signs in with
username and password (the accounts API's lock-out applies), gets a secure session cookie and
their role's screen; signing out revokes the session; the language switch keeps to the screens;
a page's forms need the session's form token."""

from urllib.parse import parse_qs, urlsplit

from services.accounts.domain import Role
from services.common.settings import Settings
from services.intake.app import create_app as create_intake
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.nats import NatsServer
from tests.support.screens import PASSWORD, add_person, browser, csrf_of


async def test_sign_in_session_cookie_home_and_sign_out(backend: Backend,
                                                       nats_server: NatsServer) -> None:
    app = create_intake(Settings(nats_url=nats_server.url, **backend.settings_kwargs()))
    async with running(app), browser(app) as client:
        await add_person(app, "desk-1", Role.window)

        first = await client.get("/")
        assert first.status_code == 303 and first.headers["location"] == "/ui/"
        assert (await client.get("/ui/")).headers["location"] == "/ui/login"
        asked = await client.get("/ui/window?q=x")
        assert asked.status_code == 303
        target = urlsplit(asked.headers["location"])
        assert target.path == "/ui/login" and parse_qs(target.query)["next"] == ["/ui/window?q=x"]

        page = await client.get("/ui/login")
        assert page.status_code == 200 and 'name="username"' in page.text
        assert 'name="password"' in page.text and "工作人员登录" in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]

        wrong = await client.post("/ui/login", data={"username": "desk-1", "password": "nope"})
        assert wrong.status_code == 401 and "用户名或密码不正确" in wrong.text
        assert "onedoor_session" not in wrong.headers.get("set-cookie", "")

        elsewhere = await client.post("/ui/login", headers={"Origin": "https://evil.example"},
                                      data={"username": "desk-1", "password": PASSWORD})
        assert elsewhere.status_code == 403  # a sign-in form posted from another site
        for headers in ({"Sec-Fetch-Site": "cross-site", "Origin": "null"},
                        {"Sec-Fetch-Site": "same-site"}):
            refused = await client.post("/ui/login", headers=headers,
                                        data={"username": "desk-1", "password": PASSWORD})
            assert refused.status_code == 403, headers
        # As Chromium posts the page's own form: Origin "null" (the no-referrer policy),
        # Sec-Fetch-Site same-origin.
        signed = await client.post("/ui/login", headers={"Origin": "null",
                                                         "Sec-Fetch-Site": "same-origin"},
                                   data={"username": "desk-1", "password": PASSWORD})
        assert signed.status_code == 303 and signed.headers["location"] == "/ui/window"
        cookie = signed.headers["set-cookie"].lower()
        for flag in ("httponly", "secure", "samesite=strict", "path=/"):
            assert flag in cookie, cookie
        token = client.cookies["onedoor_session"]
        assert (await client.get("/ui/")).headers["location"] == "/ui/window"

        api = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert api.status_code == 200 and api.json()["username"] == "desk-1"

        desk = await client.get("/ui/window")
        assert desk.status_code == 200 and "desk-1" in desk.text  # who is signed in, shown
        forged = await client.post("/ui/logout", headers={"Origin": "https://evil.example"},
                                   data={"csrf": csrf_of(desk.text)})
        assert forged.status_code == 403  # the right token, but posted from another site
        refused = await client.post("/ui/logout", data={"csrf": "0" * 32})
        assert refused.status_code == 403  # a form without the session's token
        assert (await client.get("/ui/window")).status_code == 200  # still signed in

        out = await client.post("/ui/logout", data={"csrf": csrf_of(desk.text)})
        assert out.status_code == 303 and out.headers["location"] == "/ui/login"
        assert "onedoor_session" not in client.cookies
        gone = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert gone.status_code == 401  # the session's token is revoked, not just forgotten


async def test_language_switch_and_no_open_redirect(backend: Backend,
                                                    nats_server: NatsServer) -> None:
    app = create_intake(Settings(nats_url=nats_server.url, **backend.settings_kwargs()))
    async with running(app), browser(app) as client:
        switched = await client.get("/ui/lang", params={"to": "en", "next": "/ui/login"})
        assert switched.status_code == 303 and switched.headers["location"] == "/ui/login"
        page = await client.get("/ui/login")
        assert "Staff sign-in" in page.text and 'lang="en"' in page.text

        for target in ("https://example.org/", "//example.org/x", "/ui/\\example.org"):
            away = await client.get("/ui/lang", params={"to": "zh", "next": target})
            assert away.headers["location"] == "/ui/", target
        await add_person(app, "desk-2", Role.window)
        signed = await client.post("/ui/login", data={"username": "desk-2", "password": PASSWORD,
                                                      "next": "https://example.org/"})
        assert signed.headers["location"] == "/ui/window"
        assert (await client.get("/ui/lang", params={"to": "xx"})).status_code == 422


async def test_too_many_wrong_passwords_lock_the_sign_in_page_too(
        backend: Backend, nats_server: NatsServer) -> None:
    app = create_intake(Settings(nats_url=nats_server.url, **backend.settings_kwargs()))
    async with running(app), browser(app) as client:
        await add_person(app, "desk-3", Role.window)
        for _ in range(5):
            wrong = await client.post("/ui/login", data={"username": "desk-3", "password": "x"})
            assert wrong.status_code == 401
        locked = await client.post("/ui/login", data={"username": "desk-3",
                                                      "password": PASSWORD})
        assert locked.status_code == 429 and "锁定" in locked.text
