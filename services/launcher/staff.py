"""``onedoor staff``: staff accounts in the identity store (``services/accounts``), and the
token files ``onedoor up`` leaves in the data directory (the local ops token; with
``--demo``, the demo's tokens and passwords), each readable by its owner only (0600)."""

import argparse
import asyncio
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from contracts import Department
from services.accounts import handlers
from services.accounts.demo import DemoAccount
from services.accounts.domain import Role
from services.accounts.handlers import AccountError, NewAccount
from services.accounts.store import AccountStore
from services.common.settings import Settings

DEPARTMENTS = [d.value for d in Department]
OPS_TOKEN_FILE = "ops-token"  # what status, dead-letters and trace use when given no token
OPS_USERNAME = "onedoor-ops"
DEMO_TOKENS, DEMO_ACCOUNTS = "demo-tokens.json", "demo-accounts.json"


def add_parser(sub: argparse._SubParsersAction) -> None:
    staff = sub.add_parser("staff", help="staff accounts: add, list, disable, reset",
                           description="Staff accounts and their credentials (the identity "
                                       "store every service reads).")
    actions = staff.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add an account; prints its password and API token once")
    add.add_argument("--name", required=True, help="the person's name as shown (required)")
    add.add_argument("--role", required=True, choices=[r.value for r in Role],
                     help="what they may reach: window, department, supervisor, ops or admin "
                          "(required)")
    add.add_argument("--department", choices=DEPARTMENTS,
                     help="with --role department: which (default: none)")
    add.add_argument("--township", help="with --role window: the township whose applications "
                                        "it sees (default: none)")
    add.add_argument("--username", help="what they sign in as (default: from --name)")
    add.add_argument("--password", action="store_true",
                     help="ask for the password (default: generate one and print it)")
    add.add_argument("--json", action="store_true", help="print the credentials as JSON")
    actions.add_parser("list", help="every account: username, role, department, township")
    disable = actions.add_parser("disable", help="disable an account (its tokens are refused)")
    disable.add_argument("username", help="the account to disable")
    reset = actions.add_parser("reset", help="new password and token; old tokens revoked")
    reset.add_argument("username", help="the account whose credentials to renew")
    reset.add_argument("--token-only", action="store_true", help="a new token, same password")
    reset.add_argument("--password-only", action="store_true", help="a new password, no token")
    reset.add_argument("--json", action="store_true", help="print the credentials as JSON")
    for parser in (add, *actions.choices.values()):
        if not any(a.dest == "data_dir" for a in parser._actions):
            parser.add_argument("--data-dir", type=Path, default=Path("./var"),
                                help="the data directory 'up' was given")
            parser.add_argument("--database-url", help="PostgreSQL, as given to 'up' (default: "
                                                       "ONEDOOR_DATABASE_URL, else SQLite)")


def settings_for(data_dir: Path, database_url: str | None) -> Settings:
    """The settings the services of ``data_dir`` (or that database) run with."""
    overrides: dict[str, Any] = {"data_dir": data_dir}
    if database_url:
        overrides["database_url"] = database_url
    return Settings(**overrides)


def run(args: argparse.Namespace) -> int:
    store = AccountStore(settings_for(args.data_dir, args.database_url))
    try:
        return asyncio.run(_run(store, args))
    except AccountError as exc:
        print(f"onedoor staff {args.action}: {exc.message}\n{exc.message_zh}", file=sys.stderr)
        return 1


async def _run(store: AccountStore, args: argparse.Namespace) -> int:
    try:
        if args.action == "add":
            password = _ask_password() if args.password else None
            username = args.username or _username(args.name, args.role, args.department)
            issued = await handlers.add_account(store, NewAccount(
                username, args.name, Role(args.role), args.department, args.township),
                departments=DEPARTMENTS, password=password)
            _show(issued, args.json, password_given=args.password)
        elif args.action == "list":
            for a in await store.accounts():
                state = "disabled" if a.disabled else "enabled"
                print(f"{a.username:<24} {a.role:<11} {a.department or '-':<16} "
                      f"{a.township or '-':<12} {state:<9} {a.display_name}")
        elif args.action == "disable":
            account = await handlers.disable_account(store, args.username)
            print(f"{account.username}: disabled; its tokens are refused within seconds")
        elif args.action == "reset":
            issued = await handlers.reset_credentials(
                store, args.username, password=not args.token_only, token=not args.password_only)
            _show(issued, args.json)
    finally:
        await store.close()
    return 0


def _username(name: str, role: str, department: str | None) -> str:
    """A sign-in name from an ASCII name, else from the role (``window-<n>``)."""
    plain = "".join(ch for ch in name.lower().replace(" ", ".") if ch.isascii() and (
        ch.isalnum() or ch in "._-"))
    return plain or f"{department or role}-{os.urandom(2).hex()}"


def _ask_password() -> str:
    first = getpass.getpass("password: ")
    if not first or first != getpass.getpass("again: "):
        raise AccountError(422, "password_mismatch", "the passwords differ (or are empty)",
                           "两次输入的密码不一致或为空")
    return first


def _show(issued: handlers.Issued, as_json: bool, password_given: bool = False) -> None:
    shown = {"username": issued.account.username, "role": issued.account.role,
             "department": issued.account.department, "township": issued.account.township,
             "password": None if password_given else issued.password, "token": issued.token}
    if as_json:
        print(json.dumps(shown, ensure_ascii=False))
        return
    for key in ("username", "role", "department", "township", "password", "token"):
        if shown[key]:
            print(f"{key}: {shown[key]}")
    print("The password and token are shown this once; only their hashes are kept.")


# --- what `onedoor up` leaves in the data directory ---------------------------------------

def write_private(path: Path, text: str) -> None:
    """Write ``path`` readable and writable by its owner only (0600), from its creation."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(path, 0o600)


async def ensure_ops_token(store: AccountStore, data_dir: Path) -> Path:
    """``<data-dir>/ops-token``: a token of the local ops account, kept while it is valid."""
    path = data_dir / OPS_TOKEN_FILE
    if path.exists() and await store.token_holder(path.read_text().strip()) is not None:
        return path
    await handlers.ensure_account(store, NewAccount(OPS_USERNAME, "本机运维", Role.ops),
                                  departments=DEPARTMENTS)
    issued = await handlers.issue_token(store, OPS_USERNAME, label="onedoor up")
    write_private(path, f"{issued.token}\n")
    return path


async def ensure_demo(store: AccountStore, data_dir: Path, accounts: list[DemoAccount]) -> None:
    """The demo's accounts and ``demo-tokens.json`` / ``demo-accounts.json``: made once,
    reused by the next ``up --demo`` (a token or password found no longer valid is renewed)."""
    tokens = _read_json(data_dir / DEMO_TOKENS)
    passwords = _read_json(data_dir / DEMO_ACCOUNTS)
    for a in accounts:
        new = NewAccount(a.username, a.display_name, a.role, a.department, a.township)
        if not a.key:  # stand-ins and post holders: no credential of their own
            await handlers.ensure_account(store, new, departments=DEPARTMENTS)
            continue
        known = passwords.get(a.key) or {}
        valid = (known.get("username") == a.username and isinstance(tokens.get(a.key), str)
                 and await store.token_holder(tokens[a.key]) is not None)
        if valid:
            continue
        if await store.account(a.username) is None:
            issued = await handlers.add_account(store, new, departments=DEPARTMENTS,
                                                token_label="demo")
        else:
            issued = await handlers.reset_credentials(store, a.username, token_label="demo")
        tokens[a.key] = issued.token
        passwords[a.key] = {"username": a.username, "password": issued.password}
    write_private(data_dir / DEMO_TOKENS, json.dumps(tokens, ensure_ascii=False, indent=2) + "\n")
    write_private(data_dir / DEMO_ACCOUNTS,
                  json.dumps(passwords, ensure_ascii=False, indent=2) + "\n")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def read_demo_token(data_dir: Path, key: str) -> str | None:
    token = _read_json(data_dir / DEMO_TOKENS).get(key)
    return token if isinstance(token, str) else None


def token_for(args: argparse.Namespace) -> str | None:
    """The bearer token a command sends: ``--token``, else ``ONEDOOR_TOKEN``, else the local
    ops token ``up`` wrote in the data directory; None if there is none."""
    if getattr(args, "token", None):
        return args.token
    if os.environ.get("ONEDOOR_TOKEN"):
        return os.environ["ONEDOOR_TOKEN"]
    path = Path(getattr(args, "data_dir", None) or "./var") / OPS_TOKEN_FILE
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def auth_headers(args: argparse.Namespace) -> dict[str, str]:
    token = token_for(args)
    return {"Authorization": f"Bearer {token}"} if token else {}


def add_token_options(parser: argparse.ArgumentParser, data_dir: bool = True) -> None:
    """``--token`` (and ``--data-dir`` where the command has none) for commands asking the
    services' operations API."""
    parser.add_argument("--token", help="a bearer token of an ops account (default: "
                                        "ONEDOOR_TOKEN, else <data dir>/ops-token written by 'up')")
    if data_dir:
        parser.add_argument("--data-dir", type=Path, default=Path("./var"),
                            help="the data directory 'up' was given (its ops-token)")
