"""OIDC access tokens from a region's single sign-on, verified with PyJWT: the signature by a
key of the issuer's JWKS (fetched from ``oidc_jwks_url``, cached), the issuer, the audience
and the expiry. The claims named in the settings say who the caller is."""

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import jwt

from services.accounts.domain import VIA_OIDC, Actor, Role
from services.common.settings import Settings

log = logging.getLogger(__name__)

LEEWAY_SECONDS = 30  # clocks of the issuer and the services differ a little


class OidcRefused(Exception):
    """A token that is not a valid access token of the configured issuer (the reason is for
    the log, not for the caller)."""


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    audience: str
    jwks_url: str
    algorithms: tuple[str, ...]
    username_claim: str
    name_claim: str
    role_claim: str
    department_claim: str
    township_claim: str

    @classmethod
    def of(cls, settings: Settings) -> "OidcSettings | None":
        """None unless issuer, audience and JWKS URL are all set."""
        if not (settings.oidc_issuer and settings.oidc_audience and settings.oidc_jwks_url):
            return None
        return cls(settings.oidc_issuer, settings.oidc_audience, settings.oidc_jwks_url,
                   tuple(a.strip() for a in settings.oidc_algorithms.split(",") if a.strip()),
                   settings.oidc_username_claim, settings.oidc_name_claim,
                   settings.oidc_role_claim, settings.oidc_department_claim,
                   settings.oidc_township_claim)


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and not token.startswith("od_")


class OidcVerifier:
    def __init__(self, config: OidcSettings) -> None:
        self.config = config
        # Keys cached (a token's kid unknown to the cache fetches the set again, at most
        # once per cooldown): the issuer is not asked on every request.
        self.keys = jwt.PyJWKClient(config.jwks_url, cache_keys=True, lifespan=300, timeout=5)

    async def actor(self, token: str) -> Actor:
        """The caller the token names; OidcRefused if it is not valid."""
        try:
            # The JWKS fetch is blocking I/O: off the event loop.
            key = await asyncio.to_thread(self.keys.get_signing_key_from_jwt, token)
            claims = jwt.decode(token, key.key, algorithms=list(self.config.algorithms),
                                audience=self.config.audience, issuer=self.config.issuer,
                                leeway=LEEWAY_SECONDS,
                                options={"require": ["exp", "iss", "aud"]})
        except jwt.PyJWTError as exc:
            raise OidcRefused(f"{exc.__class__.__name__}: {exc}") from None
        return self.actor_of(claims)

    def actor_of(self, claims: dict[str, Any]) -> Actor:
        c = self.config
        username = claims.get(c.username_claim) or claims.get("sub")
        role = _role(claims.get(c.role_claim))
        if not isinstance(username, str) or not username or role is None:
            raise OidcRefused(f"no username ({c.username_claim}) or no known role "
                              f"({c.role_claim}) in the token")
        department = claims.get(c.department_claim) if role == Role.department else None
        if role == Role.department and not isinstance(department, str):
            raise OidcRefused(f"a department role without a department ({c.department_claim})")
        township = claims.get(c.township_claim)
        name = claims.get(c.name_claim)
        return Actor(account_id=f"oidc:{claims.get('sub') or username}", username=username[:50],
                     display_name=(name if isinstance(name, str) and name else username)[:50],
                     role=role, department=department,
                     township=township if isinstance(township, str) else None,
                     via=VIA_OIDC)


def _role(value: Any) -> Role | None:
    """The role claim: one role, or a list of which the first known one counts."""
    for candidate in value if isinstance(value, list) else [value]:
        if isinstance(candidate, str) and candidate in Role.__members__:
            return Role(candidate)
    return None
