"""Where a process's keys come from: the environment, or key files under ``<data-dir>/keys/``.

Three keys, each a keyring (the first or ``primary`` key seals, every key opens):

- ``data``: personal data at rest in every service's database (``ONEDOOR_DATA_KEY``);
- ``search``: the keyed hash intake searches by (``ONEDOOR_SEARCH_KEY``; its primary only);
- ``bus``: the personal part of messages, sealed for intake, the departments and notify and
  passed through routing unread (``ONEDOOR_BUS_KEY``; routing never loads it).

A variable holds base64 keys separated by commas, the first primary (a PostgreSQL deployment
on several machines gives every process the same value). Without it, the key file
``<data-dir>/keys/<kind>.json`` (mode 0600 in a 0700 directory) is read, and created with a
new key if missing: by ``onedoor up`` before it starts the services, or by the first process
that needs it (``onedoor run`` alone), atomically — a second process finds the first one's.
"""

import contextlib
import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from services.common.crypto import (
    KeyProblem,
    Keyring,
    decode_key,
    encode_key,
    key_id,
    keyed_hash,
    new_key,
)

DATA, SEARCH, BUS = "data", "search", "bus"
KINDS = (DATA, SEARCH, BUS)
ENV = {DATA: "ONEDOOR_DATA_KEY", SEARCH: "ONEDOOR_SEARCH_KEY", BUS: "ONEDOOR_BUS_KEY"}
KEY_DIR = "keys"


@dataclass
class Keys:
    """The keys of one process."""

    data: Keyring
    search: bytes
    bus: Keyring | None = None  # None in routing: it passes the sealed part on unread

    def search_hash(self, purpose: str, value: str) -> str:
        return keyed_hash(self.search, purpose, value)


def key_dir(data_dir: Path) -> Path:
    return data_dir / KEY_DIR


def key_file(data_dir: Path, kind: str) -> Path:
    return key_dir(data_dir) / f"{kind}.json"


def private_dir(path: Path) -> Path:
    """``path`` made if missing, readable by this user only (0700)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def ensure_key_files(data_dir: Path, env: dict[str, str | None]) -> None:
    """Create the key files missing (each with one new key) whose variable is not set
    (``env``: each kind and its variable's value, as ``Settings.key_values`` gives)."""
    for kind in KINDS:
        if not (env.get(kind) or "").strip():
            _create(key_file(data_dir, kind), _fresh())


def read_key_file(path: Path) -> Keyring:
    """The keyring stored in ``path`` (``KeyProblem`` if it cannot be read)."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        keys = {kid: decode_key(text, f"key {kid} in {path}") for kid, text in stored["keys"].items()}
        primary = stored["primary"]
    except FileNotFoundError:
        raise KeyProblem(f"the key file {path} is missing") from None
    except PermissionError:
        raise KeyProblem(f"the key file {path} cannot be read by this user") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise KeyProblem(f"the key file {path} is not a OneDoor key file") from None
    wrong = [kid for kid, key in keys.items() if key_id(key) != kid]
    if wrong:
        raise KeyProblem(f"the key file {path} has keys under the wrong ids: {', '.join(wrong)}")
    return Keyring(keys, primary, source=str(path))


def write_key_file(path: Path, keys: dict[str, bytes], primary: str) -> None:
    """Replace the key file at once (readers see the old one or the new one, never half)."""
    Keyring(keys, primary, source=str(path))  # refuse a primary that is not among the keys
    tmp = _private_temp(path, _content(keys, primary))
    os.replace(tmp, path)
    _sync_dir(path.parent)


def keyring(kind: str, env_value: str | None, data_dir: Path, *, create: bool = True) -> Keyring:
    """The ``kind`` keyring: from its variable if set, else from its key file (made if
    missing and ``create``), which is read again when it changes."""
    name = ENV[kind]
    if env_value and env_value.strip():
        parts = [p for p in env_value.split(",") if p.strip()]
        keys = [decode_key(p, f"{name} (key {n} of {len(parts)})") for n, p in enumerate(parts, 1)]
        return Keyring(keys, source=name)
    path = key_file(data_dir, kind)
    if create and not path.exists():
        _create(path, _fresh())
    stored = read_key_file(path)
    return Keyring(stored.keys, stored.primary, source=str(path),
                   loader=lambda: read_key_file(path))


def load(data_dir: Path, env: dict[str, str | None], *, bus: bool, create: bool = True) -> Keys:
    """A process's keys; ``env`` maps each kind to its variable's value (None if unset)."""
    search = keyring(SEARCH, env.get(SEARCH), data_dir, create=create)
    return Keys(data=keyring(DATA, env.get(DATA), data_dir, create=create),
                search=search.keys[search.primary],
                bus=keyring(BUS, env.get(BUS), data_dir, create=create) if bus else None)


@contextlib.contextmanager
def locked(data_dir: Path) -> Iterator[None]:
    """Hold the key directory's lock: one change of the key files at a time."""
    fd = os.open(private_dir(key_dir(data_dir)) / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _fresh() -> str:
    key = new_key()
    return _content({key_id(key): key})


def _content(keys: dict[str, bytes], primary: str | None = None) -> str:
    return json.dumps({"primary": primary or next(iter(keys)),
                       "keys": {kid: encode_key(k) for kid, k in keys.items()}}, indent=1) + "\n"


def _create(path: Path, content: str) -> None:
    """Write ``path`` unless it exists, atomically: the whole file appears at once, and of
    two processes creating it together the first one's stands (``link`` never replaces)."""
    private_dir(path.parent)
    tmp = _private_temp(path, content)
    try:
        os.link(tmp, path)
        _sync_dir(path.parent)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)


def _private_temp(path: Path, content: str) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, content.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return tmp


def _sync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
