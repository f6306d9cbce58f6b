"""Checks made before anything starts: a wrong region, setting or database URL, or a port
already taken, is one line a person can act on and the exit code ``CONFIG_ERROR`` — not
children restarted in a loop, each printing the same traceback.
"""

import socket
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from services.common.natsauth import CredentialsError, NatsCredentials
from services.common.policy import load_policy
from services.common.settings import Settings
from services.launcher.topology import ProcessSpec

# EX_CONFIG of sysexits.h. ``onedoor run`` exits with it on a configuration error, and the
# supervisor of ``up`` does not restart a child that does: it would fail the same way again.
CONFIG_ERROR = 78


class ConfigError(Exception):
    """What is wrong, in one line."""


def check_region(region: str) -> str:
    """The region as the services should be given it (a policy file by its absolute path,
    so that children started elsewhere find it too); ``ConfigError`` if it cannot be used."""
    is_file = region.endswith(".toml")
    try:
        load_policy(region)
    except ValidationError as exc:
        from services.launcher.policycmd import validation_problems  # the command's, rarely

        problems = validation_problems(exc)
        raise ConfigError(f"{region} is not a valid policy ({len(problems)} problem(s), the first: "
                          f"{problems[0]}); 'onedoor policy check {region}' lists them") from None
    except (OSError, ValueError) as exc:  # unknown name (with the known ones), TOML syntax
        raise ConfigError(f"{region}: {exc}" if is_file and Path(region).exists() else str(exc)) from None
    except Exception as exc:  # e.g. a holidays file of the wrong shape
        raise ConfigError(f"cannot read the policy {region}: {exc.__class__.__name__}: {exc}") from None
    return str(Path(region).resolve()) if is_file else region


def check_settings(**overrides: object) -> Settings:
    """The settings from ``ONEDOOR_*`` variables (and ``overrides``), or what is wrong with them."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        wrong = "; ".join(f"ONEDOOR_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}"
                          for e in exc.errors())
        raise ConfigError(f"invalid setting: {wrong}") from None
    if settings.nats_credentials is not None:  # read now: later it would be a traceback
        try:
            NatsCredentials.load(settings.nats_credentials)
        except CredentialsError as exc:
            raise ConfigError(str(exc)) from None
    return settings


def check_database_url(url: str | None) -> None:
    """A URL the services can open (checked without connecting: the server may come later)."""
    if not url:
        return
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except Exception:
        raise ConfigError("the database URL cannot be parsed; expected e.g. "
                          "postgresql+psycopg://user:password@host:5432/onedoor") from None
    try:
        create_async_engine(url).sync_engine.dispose()
    except Exception as exc:
        raise ConfigError(f"database URL {shown}: {exc.__class__.__name__}: {exc} (expected e.g. "
                          "postgresql+psycopg://user:password@host:5432/onedoor)") from None


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on ``port`` now. With SO_REUSEADDR, as uvicorn and
    nats-server bind, so that the closing connections of a process just stopped do not count."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def check_port(port: int, host: str = "127.0.0.1") -> None:
    if not 0 < port < 65536:
        raise ConfigError(f"port {port} is not a port number (1-65535)")
    if not port_is_free(port, host):
        raise ConfigError(f"port {port} is already in use")


def check_ports(specs: list[ProcessSpec], host: str = "127.0.0.1") -> None:
    """Every HTTP port of the topology free, or which are taken and which service needs each."""
    first, last = specs[0].port, max(s.port for s in specs)
    if first < 1 or last > 65535:
        raise ConfigError(f"--http-port {first}: the system takes ports {first}-{last}, "
                          "which must lie within 1-65535")
    taken = [f"{s.port} (for {s.name})" for s in specs if not port_is_free(s.port, host)]
    if taken:
        ports = f"port {taken[0]} is" if len(taken) == 1 else f"ports {', '.join(taken)} are"
        raise ConfigError(f"{ports} already in use; stop what uses it or choose another "
                          f"--http-port (the system takes {first}-{last})")
