"""Passwords hashed with Argon2id (argon2-cffi's recommended parameters, RFC 9106)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()  # Argon2id, its defaults follow the RFC's recommendation


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True if ``password`` is the one ``stored`` was made from."""
    if not stored:
        return False
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


# Verified against when the username is unknown, so that a wrong name takes as long as a
# wrong password (no telling which accounts exist by timing).
DUMMY_HASH = _HASHER.hash("not a password anyone has")
