"""Who a process is on NATS: its credentials file, and the options every client connects with.

A closed bus (``onedoor up``, docker-compose) gives each process a user of its own, with
subject permissions (services/launcher/natsperms.py). The process reads its user and password
from a JSON file (``ONEDOOR_NATS_CREDENTIALS``, mode 0600) and takes its replies on an inbox
of its own, ``_INBOX.<user>.…``, which no other user may subscribe to. Without a file the
client connects anonymously: a developer's open local NATS, the integration tests' server.
"""

import json
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faststream.nats.security import NatsUserPassword
from faststream.security import BaseSecurity

FILE_MODE = 0o600
DIR_MODE = 0o700
DEFAULT_INBOX = "_INBOX"


class CredentialsError(ValueError):
    """A credentials file that cannot be used, in one line."""


@dataclass(frozen=True)
class NatsCredentials:
    user: str
    password: str

    @property
    def inbox_prefix(self) -> str:
        """Replies to this user's requests (JetStream API answers, pulled messages) come here."""
        return inbox_prefix(self.user)

    @classmethod
    def load(cls, path: Path) -> "NatsCredentials":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(user=str(data["user"]), password=str(data["password"]))
        except OSError as exc:
            raise CredentialsError(f"NATS credentials {path}: {exc.strerror}") from None
        except (ValueError, KeyError, TypeError):
            raise CredentialsError(f"NATS credentials {path}: not a JSON object with "
                                   f"\"user\" and \"password\"") from None

    def save(self, path: Path, **extra: str) -> None:
        """Write the file readable by its owner only (created so: never world-readable)."""
        write_private(path, json.dumps({"user": self.user, "password": self.password, **extra},
                                       indent=2) + "\n")


def inbox_prefix(user: str) -> str:
    return f"{DEFAULT_INBOX}.{user}"


def write_private(path: Path, text: str) -> None:
    """``text`` into ``path`` with mode 0600 from the first byte, its directory 0700."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    os.chmod(path.parent, DIR_MODE)
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(temporary, FILE_MODE)
    os.replace(temporary, path)


def _tls(ca_file: Path | None) -> ssl.SSLContext | None:
    """With a CA file (the operator's, docker-compose): TLS to the servers, verified by it."""
    return ssl.create_default_context(cafile=str(ca_file)) if ca_file else None


def connect_options(credentials: Path | None, ca_file: Path | None = None) -> dict[str, Any]:
    """Keyword arguments of ``nats.connect`` for this user (none: anonymous)."""
    options: dict[str, Any] = {}
    if credentials is not None:
        creds = NatsCredentials.load(credentials)
        options |= {"user": creds.user, "password": creds.password,
                    "inbox_prefix": creds.inbox_prefix}
    if ca_file is not None:
        options["tls"] = _tls(ca_file)
    return options


def broker_options(credentials: Path | None, ca_file: Path | None = None) -> dict[str, Any]:
    """Keyword arguments of ``NatsBroker`` for this user (none: anonymous)."""
    options: dict[str, Any] = {}
    security: BaseSecurity | None = None
    tls = _tls(ca_file)
    if credentials is not None:
        creds = NatsCredentials.load(credentials)
        security = NatsUserPassword(creds.user, creds.password, ssl_context=tls)
        options["inbox_prefix"] = creds.inbox_prefix
    elif tls is not None:
        security = BaseSecurity(ssl_context=tls)
    if security is not None:
        options["security"] = security
    return options

