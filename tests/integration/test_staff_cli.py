"""``onedoor staff add|list|disable|reset`` on a data directory, and what ``onedoor up``
leaves there: the local ops token and, with ``--demo``, the demo's tokens and passwords —
owner-only files, reused by the next start."""

import asyncio
import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from services.accounts.handlers import login
from services.accounts.store import AccountStore
from services.common.policy import load_policy
from services.launcher import cli, staff
from services.launcher.up import prepare_accounts


def onedoor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as done:
        cli.main(list(args))
    return int(done.value.code or 0), capsys.readouterr().out


def holder(data_dir: Path, token: str) -> object:
    async def ask() -> object:
        store = AccountStore(staff.settings_for(data_dir, None))
        try:
            return await store.token_holder(token)
        finally:
            await store.close()

    return asyncio.run(ask())


def test_staff_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    where = ["--data-dir", str(tmp_path)]
    code, out = onedoor(capsys, "staff", "add", "--name", "李春梅", "--role", "window",
                        "--township", "东风镇", "--username", "window-05", "--json", *where)
    assert code == 0
    made = json.loads(out)
    assert (made["username"], made["role"], made["township"]) == ("window-05", "window", "东风镇")
    assert made["password"] and made["token"].startswith("od_")
    actor = holder(tmp_path, made["token"])
    assert (actor.username, actor.role, actor.township) == ("window-05", "window", "东风镇")
    assert stat.S_IMODE((tmp_path / "accounts.db").stat().st_mode) == 0o600

    code, out = onedoor(capsys, "staff", "add", "--name", "王建国", "--role", "department",
                        *where)
    assert code == 1  # a department account names its department
    code, out = onedoor(capsys, "staff", "add", "--name", "x", "--role", "window",
                        "--username", "window-05", *where)
    assert code == 1  # the username is taken

    code, out = onedoor(capsys, "staff", "list", *where)
    assert code == 0 and "window-05" in out and "东风镇" in out and made["token"] not in out

    code, out = onedoor(capsys, "staff", "reset", "window-05", "--json", *where)
    reset = json.loads(out)
    assert reset["password"] and reset["token"] != made["token"]
    assert holder(tmp_path, made["token"]) is None  # revoked
    assert holder(tmp_path, reset["token"]) is not None

    async def sign_in(password: str) -> object:
        store = AccountStore(staff.settings_for(tmp_path, None))
        try:
            return await login(store, "window-05", password, timedelta(hours=1))
        finally:
            await store.close()

    assert asyncio.run(sign_in(made["password"])) is None
    assert asyncio.run(sign_in(reset["password"])) is not None

    code, out = onedoor(capsys, "staff", "disable", "window-05", *where)
    assert code == 0 and "disabled" in out
    assert holder(tmp_path, reset["token"]) is None


def test_up_writes_the_ops_token_and_the_demo_files_once(tmp_path: Path) -> None:
    policy = load_policy("default")
    asyncio.run(prepare_accounts(tmp_path, None, policy, with_demo=True))
    files = [tmp_path / staff.OPS_TOKEN_FILE, tmp_path / staff.DEMO_TOKENS,
             tmp_path / staff.DEMO_ACCOUNTS]
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    tokens = json.loads(files[1].read_text(encoding="utf-8"))
    accounts = json.loads(files[2].read_text(encoding="utf-8"))
    # The window's own post (department "window") is keyed by its process name.
    keys = {"window", "supervisor", "ops", "admin", "civil_affairs", "education", "hrss",
            "housing", "medical", "federations", "dept-window"}
    assert set(tokens) == set(accounts) == keys
    roles = {key: holder(tmp_path, token).role for key, token in tokens.items()}
    assert roles == {key: key if key in ("window", "supervisor", "ops", "admin")
                     else "department" for key in keys}
    assert holder(tmp_path, tokens["education"]).department == "education"
    assert holder(tmp_path, tokens["dept-window"]).department == "window"
    assert accounts["supervisor"]["username"] == policy.supervision.supervisors[0]
    assert all(a["username"] and a["password"] for a in accounts.values())
    ops = files[0].read_text().strip()
    assert holder(tmp_path, ops).role == "ops"

    before = [p.read_text() for p in files]
    asyncio.run(prepare_accounts(tmp_path, None, policy, with_demo=True))
    assert [p.read_text() for p in files] == before  # reused, not duplicated

    async def usernames() -> list[str]:
        store = AccountStore(staff.settings_for(tmp_path, None))
        try:
            return [a.username for a in await store.accounts()]
        finally:
            await store.close()

    names = asyncio.run(usernames())
    assert len(names) == len(set(names))
    assert {"civil_dibao_a", "civil_dibao_b"} <= set(names)  # the A/B holders exist
