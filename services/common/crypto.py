"""Authenticated encryption of personal data (AES-256-GCM, ``cryptography``) and keyed hashes.

A sealed value is text: ``od1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>``. The key id
(derived from the key itself, so the same key has the same id in every process) says which
key of a ``Keyring`` opens it, so that keys can rotate: values are sealed under the primary
key and opened under any key of the ring. The prefix ``od1.<key id>.`` and the caller's
associated data are authenticated with the value: a changed key id or a value moved to
another context does not open.
"""

import base64
import binascii
import hashlib
import hmac
import os
import threading
import time
from collections.abc import Callable, Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "od1"
PREFIX = VERSION + "."
KEY_BYTES = 32
NONCE_BYTES = 12


class KeyProblem(RuntimeError):
    """A key missing, malformed or not opening a value: the message is the one line to show."""


class UnknownKey(KeyProblem):
    """A value sealed under a key the keyring does not have (even after reloading it)."""


class Undecryptable(KeyProblem):
    """A value that does not open: tampered with, truncated, or sealed for another context."""


def key_id(key: bytes) -> str:
    """The id of ``key``: 8 hex digits of a hash of it (not a secret, never the key)."""
    return hashlib.sha256(b"onedoor key id\0" + key).hexdigest()[:8]


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


def encode_key(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


def decode_key(text: str, what: str) -> bytes:
    """A key from its base64 text; ``KeyProblem`` (naming ``what``) if it is not 32 bytes."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyProblem(f"{what} is not base64") from None
    if len(key) != KEY_BYTES:
        raise KeyProblem(f"{what} is {len(key)} bytes; a key is {KEY_BYTES} bytes (base64 of "
                         f"{KEY_BYTES} random bytes, e.g. from 'onedoor keys new')")
    return key


def is_sealed(value: str | bytes) -> bool:
    """Whether ``value`` has the form of a sealed value (it may still not open)."""
    prefix = PREFIX.encode() if isinstance(value, bytes) else PREFIX
    return value.startswith(prefix)  # type: ignore[arg-type]


def sealed_key_id(value: str | bytes) -> str | None:
    """The key id a sealed value names, or None if it is not a sealed value."""
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
    if not text.startswith(PREFIX):
        return None
    return text[len(PREFIX):].split(".", 1)[0] or None


class Keyring:
    """Keys by id, one of them primary (what ``seal`` uses). ``loader``, if given, reads the
    keys again from where they came from: when a value names a key id not in the ring (a key
    rotated by another process), and every ``watch_seconds`` when sealing, so that a new
    primary is taken up by a running process within seconds."""

    def __init__(self, keys: Mapping[str, bytes] | list[bytes], primary: str | None = None, *,
                 source: str = "", loader: Callable[[], "Keyring"] | None = None,
                 watch_seconds: float = 1.0) -> None:
        self.source = source  # where the keys came from, for messages
        self._loader = loader
        self._watch_seconds = watch_seconds
        self._checked = time.monotonic()
        self._lock = threading.Lock()
        self._set(keys, primary)

    def _set(self, keys: Mapping[str, bytes] | list[bytes], primary: str | None) -> None:
        by_id = dict(keys) if isinstance(keys, Mapping) else {key_id(k): k for k in keys}
        if not by_id:
            raise KeyProblem(f"no key in {self.source or 'the keyring'}")
        primary = primary or next(iter(by_id))
        if primary not in by_id:
            raise KeyProblem(f"the primary key {primary} is not among the keys of "
                             f"{self.source or 'the keyring'}")
        self.keys: dict[str, bytes] = by_id
        self.primary = primary
        self._ciphers = {kid: AESGCM(k) for kid, k in by_id.items()}

    @property
    def ids(self) -> list[str]:
        return list(self.keys)

    def reload(self) -> bool:
        """Read the keys again (if they came from somewhere that can change); True if the
        primary or the set of keys changed."""
        if self._loader is None:
            return False
        with self._lock:
            fresh = self._loader()
            changed = (fresh.primary, set(fresh.keys)) != (self.primary, set(self.keys))
            if changed:
                self._set(fresh.keys, fresh.primary)
            self._checked = time.monotonic()
        return changed

    def _watch(self) -> None:
        if self._loader is not None and time.monotonic() - self._checked >= self._watch_seconds:
            try:
                self.reload()
            except KeyProblem:
                self._checked = time.monotonic()  # keep sealing with what we have; said at open

    def seal(self, plaintext: bytes, aad: bytes = b"") -> str:
        """``plaintext`` sealed under the primary key, bound to ``aad``."""
        self._watch()
        kid = self.primary
        header = f"{PREFIX}{kid}."
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[kid].encrypt(nonce, plaintext, header.encode() + aad)
        return header + base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")

    def open(self, value: str | bytes, aad: bytes = b"") -> bytes:
        """The plaintext of a sealed value, under whichever key of the ring it names."""
        text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
        kid = sealed_key_id(text)
        if kid is None:
            raise Undecryptable("not a sealed value (personal data must be stored encrypted)")
        if kid not in self._ciphers:
            self.reload()
            if kid not in self._ciphers:
                raise UnknownKey(f"a value is sealed under key {kid}, which {self.source or 'the keyring'}"
                                 f" does not have (its keys: {', '.join(self.ids)})")
        body = text[len(PREFIX) + len(kid) + 1:]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            return self._ciphers[kid].decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:],
                                              f"{PREFIX}{kid}.".encode() + aad)
        except (InvalidTag, binascii.Error, ValueError):
            raise Undecryptable(f"a value sealed under key {kid} does not open: altered, or "
                                "sealed for something else") from None

    def reseal(self, value: str | bytes) -> str:
        """The same plaintext sealed under the primary key (a value without associated data)."""
        return self.seal(self.open(value))


def keyed_hash(key: bytes, purpose: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` for ``purpose`` (hex): equal values give equal hashes, which
    is what an exact search compares; without the key, no value can be tried against it."""
    return hmac.new(key, f"{purpose}\0{value}".encode(), hashlib.sha256).hexdigest()
