"""``onedoor policy check``, ``onedoor deadline`` and ``GET /api/v1/deadlines``: the same
answers from the command line and over HTTP, and clear refusals."""

import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from contracts import Item
from services.common.errors import install_error_handlers
from services.common.policy import POLICY_DIR, load_policy
from services.intake.deadlines import build_router
from services.launcher.cli import main

PROFILES = ["default", "zhenluo", "dangshan", "district2022", "jiangyin", "menggu"]


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    """Run ``onedoor ARGV``: exit code, stdout lines, stderr."""
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out.splitlines(), out.err


def client(region: str = "default") -> httpx.AsyncClient:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(build_router(load_policy(region)))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake")


# --- onedoor policy check ---------------------------------------------------------------

@pytest.mark.parametrize("region", PROFILES)
def test_policy_check_accepts_every_shipped_profile(
        capsys: pytest.CaptureFixture[str], region: str) -> None:
    policy = load_policy(region)
    code, out, err = cli(capsys, "policy", "check", str(POLICY_DIR / f"{region}.toml"))
    assert code == 0, (out, err)
    assert out[0] == (f"OK {region} ({policy.name}): {len(policy.departments)} departments, "
                      f"{len(policy.items)} items")
    assert all(line.startswith("warning: ") for line in out[1:])


def test_policy_check_gives_advice_on_a_valid_file(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = (POLICY_DIR / "dangshan.toml").read_text(encoding="utf-8")
    text = text.replace('[materials]\n', '[materials]\nunused_thing = { name = "无用证明" }\n')
    text = text.replace('materials = { required = ["id_card", "household_register", '
                        '"assistance_status_proof", "medical_records"] }\n', "")
    path = tmp_path / "mycounty.toml"
    path.write_text(text, encoding="utf-8")
    code, out, _ = cli(capsys, "policy", "check", str(path))
    assert code == 0
    assert out[0].startswith("OK dangshan (砀山县)")
    warnings = "\n".join(out[1:])
    assert "materials.unused_thing" in warnings
    assert "items.medical_aid: no materials listed" in warnings
    assert "mycounty.toml" in warnings  # the region is not found under that file name
    assert "id_card" in warnings and "never demanded" in warnings


def broken(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    text = (POLICY_DIR / "dangshan.toml").read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "dangshan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_policy_check_lists_every_problem_of_a_broken_file(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = broken(
        tmp_path,
        ('a = "wang_xiaolei"\nb = "hou_weili"', 'a = "wang_xiaolei"\nb = "wang_xiaolei"'),
        ('"temporary_aid", "emergency_aid", "medical_aid"]', '"temporary_aid", "emergency_aid"]'),
        ('["id_card", "application_form", "situation_statement"]',
         '["id_card", "application_form", "x_ray"]'),
    )
    code, out, err = cli(capsys, "policy", "check", str(path))
    assert code == 1
    text = "\n".join(out) + err
    assert "Traceback" not in text
    problems = [line for line in out if line.startswith(f"{path}: ")]
    assert any("posts.dibao" in p and "different people" in p for p in problems)
    assert any("items.medical_aid" in p and "no department" in p for p in problems)
    assert any("posts.medical_aid" in p for p in problems)
    assert any("items.temporary_aid" in p and "x_ray" in p for p in problems)
    assert out[-1] == f"{len(problems)} problem(s): {path} is not a valid policy"


def test_policy_check_reports_field_errors_with_their_location(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = broken(tmp_path, ("limit = { working_days = 5 }", "limit = { working_days = 5, hours = 2 }"),
                  ('region = "dangshan"', 'region = "dangshan"\ndirector = "张三"'))
    code, out, _ = cli(capsys, "policy", "check", str(path))
    assert code == 1
    assert any("items.medical_aid.limit" in line and "exactly one" in line for line in out)
    assert any("director" in line and "xtra" in line for line in out)


@pytest.mark.parametrize(("change", "words"), [
    (('name = "砀山县"', 'name = 砀山县'), ["line 11"]),
    (('holidays_file = "holidays.toml"', 'holidays_file = "nowhere.toml"'), ["nowhere.toml", "not found"]),
])
def test_policy_check_reports_syntax_and_calendar_problems(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        change: tuple[str, str], words: list[str]) -> None:
    code, out, _ = cli(capsys, "policy", "check", str(broken(tmp_path, change)))
    assert code == 1
    for word in words:
        assert word in out[0]


def test_policy_check_reports_a_broken_holidays_file_and_a_missing_policy(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = broken(tmp_path)
    (tmp_path / "holidays.toml").write_text('[years.2027]\nholidays = ["2027-02-30"]\n')
    code, out, _ = cli(capsys, "policy", "check", str(path))
    assert code == 1 and "years.2027.holidays" in out[0] and "2027-02-30" in out[0]
    (tmp_path / "holidays.toml").write_text('years = 3\n')  # the wrong shape
    code, out, err = cli(capsys, "policy", "check", str(path))
    assert code == 1 and "holidays" in out[0] and "Traceback" not in err
    code, out, _ = cli(capsys, "policy", "check", str(tmp_path / "absent.toml"))
    assert code == 1 and "absent.toml" in out[0]


def test_policy_show_prints_the_items_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "policy", "show", "jiangyin")
    assert code == 0
    medical = next(line for line in out if line.startswith("medical_aid "))
    assert "hrss" in medical and "5个工作日" in medical
    assert any(line.startswith("legal_aid ") and "outside" in line for line in out)


# --- onedoor deadline -------------------------------------------------------------------

@pytest.mark.parametrize(("region", "item", "stage", "due", "text"), [
    # eve of National Day 2025: a department accepts within 1 working day → after the holiday
    ("default", "dibao", "accept", "2025-10-09T23:59:59+08:00", "1个工作日，转办当日不计"),
    ("district2022", "dibao", "decide", "2025-11-04T23:59:59+08:00", "20个工作日，受理当日不计"),
    ("dangshan", "dibao", "decide", "2025-10-21T23:59:59+08:00", "10个工作日，受理当日不计"),
    # the 24-hour emergency limit runs through the holiday
    ("district2022", "emergency_aid", "decide", "2025-10-01T17:00:00+08:00", "24小时，自受理时起算"),
    ("zhenluo", "dibao", "decide", "2025-10-02T23:59:59+08:00", "2天，受理当日不计"),
    ("zhenluo", "consultation", "decide", "2025-09-30T17:30:00+08:00", "30分钟，自受理时起算"),
    ("zhenluo", "medical_aid", "transfer", "2025-10-01T17:00:00+08:00", "24小时，自受理时起算"),
    ("jiangyin", "medical_aid", "transfer", "2025-10-10T23:59:59+08:00", "2个工作日，受理当日不计"),
])
def test_deadline_prints_the_due_time_and_explains_it(
        capsys: pytest.CaptureFixture[str], region: str, item: str, stage: str, due: str,
        text: str) -> None:
    code, out, err = cli(capsys, "deadline", "--region", region, "--item", item,
                         "--received", "2025-09-30T17:00", "--stage", stage)
    assert (code, err) == (0, "")
    assert out[0] == due
    assert text in out[1] and load_policy(region).name in out[1]


@pytest.mark.parametrize("received", ["2025-09-30T17:00", "2025-09-30T17:00:00+08:00",
                                      "2025-09-30T09:00:00Z", "2025-09-30 17:00"])
def test_naive_times_are_shanghai_time(capsys: pytest.CaptureFixture[str], received: str) -> None:
    _, out, _ = cli(capsys, "deadline", "--item", "temporary_aid", "--received", received)
    assert out[0] == "2025-10-28T23:59:59+08:00"  # 15 working days, 10-09 counted first


def test_deadline_in_an_uncovered_year_warns_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "deadline", "--item", "dibao", "--received", "2027-09-30T17:00")
    assert code == 0
    assert out[0] == "2027-10-29T23:59:59+08:00"  # 2027-10-01 is a holiday in holidays.toml
    assert "warning" in err and "holidays.toml" in err
    assert len(out) == 2  # the calendar's log warning is not mixed into the answer
    _, _, err = cli(capsys, "deadline", "--item", "emergency_aid", "--received", "2027-09-30T17:00")
    assert err == ""  # hours do not depend on the holiday schedule


@pytest.mark.parametrize(("args", "words"), [
    (["--region", "atlantis", "--item", "dibao"], ["atlantis", "dangshan"]),
    (["--item", "free_lunch"], ["free_lunch"]),
    (["--region", "dangshan", "--item", "education_aid"], ["education_aid", "砀山县教育局"]),
    (["--item", "dibao", "--received", "yesterday"], ["ISO"]),
])
def test_deadline_refuses_unknown_things_with_exit_2(
        capsys: pytest.CaptureFixture[str], args: list[str], words: list[str]) -> None:
    argv = ["deadline", *args]
    if "--received" not in argv:
        argv += ["--received", "2025-09-30T17:00"]
    code, out, err = cli(capsys, *argv)
    assert (code, out) == (2, [])
    assert "Traceback" not in err
    for word in words:
        assert word in err


# --- GET /api/v1/deadlines --------------------------------------------------------------

async def test_the_http_answer_in_full() -> None:
    async with client("district2022") as http:
        response = await http.get("/api/v1/deadlines", params={
            "item": "dibao", "received_at": "2025-09-30T17:00:00+08:00"})
    assert response.status_code == 200
    assert response.json() == {
        "item": "dibao", "item_name": "最低生活保障（低保）", "stage": "decide",
        "received_at": "2025-09-30T17:00:00+08:00", "due_at": "2025-11-04T23:59:59+08:00",
        "limit": {"working_days": 20}, "limit_text": "20个工作日，受理当日不计",
        "calendar": "official", "region": "district2022"}


@pytest.mark.parametrize("seed", range(30))
async def test_http_and_cli_give_the_same_answer(
        capsys: pytest.CaptureFixture[str], seed: int) -> None:
    rng = random.Random(seed)
    region = rng.choice(PROFILES)
    item = rng.choice(sorted(load_policy(region).items))
    stage = rng.choice(["decide", "transfer", "accept"])
    received = (datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 800 * 1440)))
    iso = received.isoformat()
    code, out, _ = cli(capsys, "deadline", "--region", region, "--item", item,
                       "--received", iso, "--stage", stage)
    async with client(region) as http:
        body = (await http.get("/api/v1/deadlines", params={
            "item": item, "received_at": iso, "stage": stage})).json()
    assert code == 0
    assert body["due_at"] == out[0]
    assert body["limit_text"] in out[1] and body["item_name"] in out[1]
    assert datetime.fromisoformat(body["received_at"]) == received
    assert datetime.fromisoformat(body["due_at"]) > received
    assert body["calendar"] == ("fallback" if received.year == 2027 and "working_days" in body["limit"]
                                else "official")


async def test_a_plus_sign_typed_into_the_url_still_counts_as_the_offset() -> None:
    async with client() as http:
        response = await http.get(
            "/api/v1/deadlines?item=consultation&received_at=2025-09-30T17:00:00+08:00")
    assert response.status_code == 200
    assert response.json()["due_at"] == "2025-09-30T17:30:00+08:00"


async def test_the_fallback_calendar_is_named() -> None:
    async with client() as http:
        body = (await http.get("/api/v1/deadlines", params={
            "item": "medical_aid", "received_at": "2027-01-29T10:00"})).json()
    assert body["calendar"] == "fallback"
    assert body["due_at"] == "2027-02-09T23:59:59+08:00"  # Feb 5-8 listed as 春节 holidays


@pytest.mark.parametrize(("params", "fields"), [
    ({"item": "free_lunch", "received_at": "2025-09-30T17:00"}, ["item"]),
    ({"item": "legal_aid", "received_at": "2025-09-30T17:00"}, ["item"]),
    ({"item": "dibao", "received_at": "next tuesday"}, ["received_at"]),
    ({"item": "dibao", "received_at": "2025-09-30", "stage": "appeal"}, ["stage"]),
    ({"item": "x", "received_at": "y", "stage": "z"}, ["item", "received_at", "stage"]),
    ({"received_at": "2025-09-30T17:00"}, ["item"]),
])
async def test_bad_questions_are_422_naming_each_field(
        params: dict[str, str], fields: list[str]) -> None:
    async with client() as http:
        response = await http.get("/api/v1/deadlines", params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed" and error["message_zh"]
    assert [f["field"] for f in error["fields"]] == fields
    assert all(f["reason"] and f["reason_zh"] for f in error["fields"])
    # Wholly Chinese: no code or English word in what a person reads in Chinese.
    assert not any(re.search("[A-Za-z]", f["reason_zh"] + f["field_zh"]) for f in error["fields"])


async def test_an_item_outside_the_region_says_where_to_go() -> None:
    async with client("dangshan") as http:
        response = await http.get("/api/v1/deadlines", params={
            "item": Item.housing_aid.value, "received_at": "2025-09-30T17:00"})
    assert response.status_code == 422
    assert "砀山县住房和城乡建设局" in response.json()["error"]["fields"][0]["reason_zh"]
