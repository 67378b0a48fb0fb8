"""Access tokens (JWT, HS256, short-lived) and API tokens (opaque, long-lived, kept only as
their SHA-256)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

from tradewind_api.key_files import key_from_home
from tradewind_api.settings import ApiSettings
from tradewind_core.errors import Unauthenticated
from tradewind_core.timeutil import utcnow

ISSUER = "tradewind"
AUDIENCE = "tradewind-api"
# API tokens carry this prefix, so secret scanners (and people) recognise them.
API_TOKEN_PREFIX = "twk_"
KEY_FILE = "jwt.key"


@dataclass(frozen=True)
class AccessClaims:
    username: str
    jti: str
    generation: int
    expires_at: datetime


class TokenSigner:
    def __init__(self, key: str, lifetime: timedelta) -> None:
        self._key = key
        self.lifetime = lifetime

    @classmethod
    def from_settings(cls, settings: ApiSettings) -> TokenSigner:
        key = (
            settings.jwt_secret.get_secret_value()
            if settings.jwt_secret is not None
            else _key_from_home(settings.home)
        )
        return cls(key, timedelta(seconds=settings.api_access_token_seconds))

    def issue(self, username: str, generation: int) -> tuple[str, AccessClaims]:
        now = utcnow()
        claims = AccessClaims(
            username=username,
            jti=uuid.uuid4().hex,
            generation=generation,
            expires_at=now + self.lifetime,
        )
        token = jwt.encode(
            {
                "sub": username,
                "jti": claims.jti,
                "gen": generation,
                "iat": now,
                "nbf": now,
                "exp": claims.expires_at,
                "iss": ISSUER,
                "aud": AUDIENCE,
            },
            self._key,
            algorithm="HS256",
        )
        return token, claims

    def verify(self, token: str) -> AccessClaims:
        try:
            found = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],  # never "none", never one the token names itself
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["sub", "jti", "exp", "iat", "gen"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the access token has expired; get a new one") from None
        except jwt.InvalidTokenError:
            raise Unauthenticated("the access token is not valid") from None
        if not isinstance(found["gen"], int) or not isinstance(found["sub"], str):
            raise Unauthenticated("the access token is not valid")
        return AccessClaims(
            username=found["sub"],
            jti=str(found["jti"]),
            generation=found["gen"],
            expires_at=datetime.fromtimestamp(found["exp"], tz=UTC),
        )


def new_api_token() -> tuple[str, str]:
    """A new API token and the SHA-256 kept of it."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, api_token_digest(token)


def api_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _key_from_home(home: Path) -> str:
    return key_from_home(home, KEY_FILE, lambda: secrets.token_hex(32))
