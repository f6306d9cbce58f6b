"""The identity store's tables: accounts, the API tokens each holds (hashed), and the failed
attempts counted against accounts and client addresses (services/common/ratelimit.py)."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import UtcDateTime
from services.common.ratelimit import rate_limit_table


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(20))
    department: Mapped[str | None] = mapped_column(String(40))
    # None: the region of the deployment (every service's ``region`` setting).
    region: Mapped[str | None] = mapped_column(String(100))
    township: Mapped[str | None] = mapped_column(String(100))
    # Argon2id (passwords.py); None: an account that signs in with tokens only.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ApiToken(Base):
    """A bearer token ``od_<id>.<secret>``: only the secret's SHA-256 is kept (the secret is
    random and long, so a plain hash suffices where a password needs a slow KDF)."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(50))  # "staff add", "login", "demo", ...
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


# Shared by every process of every service: sign-in lock-outs, invalid-credential blocks.
RATE_LIMITS = rate_limit_table(Base.metadata)
