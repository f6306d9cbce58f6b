"""Column types that keep personal data encrypted at rest, and the keyed hash searched by.

``EncryptedText``, ``EncryptedJSON`` and ``EncryptedBytes`` seal a value with the data
keyring when it is written and open it when it is read (``services.common.crypto``): the
database holds ``od1.<key id>.…`` only. ``KeyedHash`` stores an HMAC of the value written and
hashes a value compared with it the same way, so ``column == value`` is an exact search that
never stores nor sends the value. The keys are the database's (``Database(keys=...)``), found
on its engine's dialect: each database of a process may have its own.
"""

import json
from typing import Any

from sqlalchemy import LargeBinary, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect

from services.common.crypto import KeyProblem
from services.common.keystore import Keys

ATTRIBUTE = "onedoor_keys"


def attach_keys(dialect: Dialect, keys: Keys | None) -> None:
    setattr(dialect, ATTRIBUTE, keys)


def keys_of(dialect: Dialect) -> Keys:
    """The keys of the database whose dialect this is."""
    keys = getattr(dialect, ATTRIBUTE, None)
    if keys is None:
        raise KeyProblem("this database was opened without keys, and holds personal data only "
                         "encrypted (give Database its keys)")
    return keys


class EncryptedText(TypeDecorator[str]):
    """Text stored sealed."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keys_of(dialect).data.seal(value.encode("utf-8"))

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keys_of(dialect).data.open(value).decode("utf-8")


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value stored sealed (None is SQL NULL)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return keys_of(dialect).data.seal(text.encode("utf-8"))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(keys_of(dialect).data.open(value))


class EncryptedBytes(TypeDecorator[bytes]):
    """Bytes (a whole message: outbox, dead letters) stored sealed."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else keys_of(dialect).data.seal(bytes(value)).encode("ascii")

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else keys_of(dialect).data.open(bytes(value))


class KeyedHash(TypeDecorator[str]):
    """An HMAC-SHA256 (hex) of the value, keyed with the search key, for ``purpose``: values
    written and values compared with the column are hashed alike; reading gives the hash."""

    impl = String(64)
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keys_of(dialect).search_hash(self.purpose, value)


SEALED_TYPES = (EncryptedText, EncryptedJSON, EncryptedBytes)
