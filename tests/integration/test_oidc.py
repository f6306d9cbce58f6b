"""OIDC access tokens of a region's single sign-on: verified against the issuer's JWKS (a
server this test runs on 127.0.0.1, with keys made here), its issuer, audience and expiry;
the claims say who the caller is; a disabled local account of the same username refuses it."""

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from services.accounts import handlers
from services.accounts.domain import Role
from services.common.settings import Settings
from services.intake.app import create_app

ISSUER, AUDIENCE = "https://sso.example.gov.cn/realms/town", "onedoor"


@contextlib.contextmanager
def jwks_server(keys: list[dict[str, Any]]) -> Iterator[str]:
    body = json.dumps({"keys": keys}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/certs"
    finally:
        server.shutdown()


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    return json.loads(RSAAlgorithm.to_jwk(key.public_key())) | {"kid": kid, "use": "sig",
                                                                "alg": "RS256"}


def token(key: rsa.RSAPrivateKey, kid: str = "k1", **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "u-1", "iat": now, "exp": now + 300,
            "preferred_username": "jy-sso", "name": "王建国", "onedoor_role": "department",
            "onedoor_department": "education"} | claims
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


async def test_single_sign_on_tokens_are_verified_against_the_issuers_keys(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with jwks_server([public_jwk(key, "k1")]) as jwks:
        settings = Settings(data_dir=tmp_path, oidc_issuer=ISSUER, oidc_audience=AUDIENCE,
                            oidc_jwks_url=jwks, auth_cache_seconds=0)
        app = create_app(settings)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://service") as client:
            async def me(bearer: str) -> httpx.Response:
                return await client.get("/api/v1/auth/me",
                                        headers={"Authorization": f"Bearer {bearer}"})

            signed_in = await me(token(key))
            assert signed_in.status_code == 200, signed_in.text
            assert signed_in.json() == {"username": "jy-sso", "display_name": "王建国",
                                        "role": "department", "department": "education",
                                        "township": None, "via": "oidc"}
            # A department account from the SSO reaches its department's routes, not a window's.
            window = await client.post("/api/v1/applications", json={},
                                       headers={"Authorization": f"Bearer {token(key)}"})
            assert window.status_code == 403

            refused = {
                "signed by another key": token(other),
                "another key claiming the issuer's kid": token(other, kid="k1"),
                "expired": token(key, exp=int(time.time()) - 120),
                "another audience": token(key, aud="someone-else"),
                "another issuer": token(key, iss="https://evil.example.com"),
                "no known role": token(key, onedoor_role="mayor"),
                "a department role without its department": token(key, onedoor_department=None),
                "unsigned": jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "exp": 2**31,
                                        "preferred_username": "x", "onedoor_role": "admin"},
                                       key=None, algorithm="none"),
            }
            for reason, bearer in refused.items():
                response = await me(bearer)
                assert response.status_code == 401, (reason, response.text)
                assert response.headers["www-authenticate"].startswith("Bearer")

            store = app.state.authenticator.store
            await handlers.add_account(store, handlers.NewAccount(
                "jy-sso", "王建国", Role.department, "education"), departments=["education"])
            assert (await me(token(key))).status_code == 200
            await handlers.disable_account(store, "jy-sso")
            assert (await me(token(key))).status_code == 401  # switched off here
            await store.close()
