"""The window lists what a caller would otherwise read from the region's TOML: materials,
supervisors and the joint meeting, the shipped regions and the one running."""

import tomllib
from pathlib import Path

import pytest

from services.common.policy import POLICY_DIR, known_regions
from services.common.settings import Settings
from services.intake.app import create_app
from tests.support.surface import client


def _toml(region: str) -> dict:
    return tomllib.loads((POLICY_DIR / f"{region}.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("region", ["default", "jiangyin", "dangshan"])
async def test_the_catalogues_are_the_running_regions(region: str, tmp_path: Path) -> None:
    source = _toml(region)
    async with client(create_app(Settings(data_dir=tmp_path, region=region))) as intake:
        materials = (await intake.get("/api/v1/materials")).json()
        supervisors = (await intake.get("/api/v1/supervisors")).json()
        regions = (await intake.get("/api/v1/regions")).json()

    assert {m["code"]: m["name"] for m in materials} == {
        code: m["name"] for code, m in source["materials"].items()}
    for m in materials:
        assert m["verifiable"] == source["materials"][m["code"]].get("verifiable", False)
        for ref, kind in [(r, "required") for r in m["required_by"]] + [
                (r, "optional") for r in m["accepted_by"]]:
            assert m["code"] in source["items"][ref["code"]]["materials"][kind], (m, ref)
            assert ref["name"]  # the item's Chinese name
    needing = {(code, kind) for code, item in source["items"].items()
               for kind in ("required", "optional")
               for _ in item.get("materials", {}).get(kind, [])}
    listed = {(r["code"], "required") for m in materials for r in m["required_by"]} | {
        (r["code"], "optional") for m in materials for r in m["accepted_by"]}
    assert listed == needing

    supervision, meeting = source["supervision"], source["joint_meeting"]
    assert supervisors["region"] == region
    assert supervisors["chain"] == supervision["supervisors"]
    assert supervisors["joint_meeting"]["name"] == meeting.get("name", "社会救助联席会议")
    assert supervisors["joint_meeting"]["convener"] == meeting["convener"]
    assert supervisors["joint_meeting"]["assign"]["text"].endswith(("个工作日", "天", "小时"))
    assert supervisors["accept"]["text"] and 0 < supervisors["warn_at"] < 1
    own = {code: d["supervisor"] for code, d in source["departments"].items()
           if d.get("supervisor")}
    assert {d["department"]: d["supervisor"] for d in supervisors["departments"]} == own
    assert {e["item"] for e in supervisors["extensions"]} == {
        code for code, item in source["items"].items() if item.get("extension")}

    assert [r["code"] for r in regions] == known_regions()
    assert all(r["shipped"] and r["name"] for r in regions)
    assert [r["code"] for r in regions if r["running"]] == [region]
    assert next(r for r in regions if r["running"])["name"] == source["name"]


async def test_a_policy_file_of_its_own_is_listed_as_running(tmp_path: Path) -> None:
    own = tmp_path / "my-town.toml"
    own.write_text((POLICY_DIR / "default.toml").read_text(encoding="utf-8")
                   .replace('region = "default"', 'region = "my-town"', 1), encoding="utf-8")
    async with client(create_app(Settings(data_dir=tmp_path, region=str(own)))) as intake:
        regions = (await intake.get("/api/v1/regions")).json()
    assert [(r["code"], r["shipped"]) for r in regions if r["running"]] == [("my-town", False)]


async def test_the_catalogues_are_documented(tmp_path: Path) -> None:
    document = create_app(Settings(data_dir=tmp_path)).openapi()
    for path, schema in (("/api/v1/materials", "MaterialRead"),
                         ("/api/v1/supervisors", "SupervisorsRead"),
                         ("/api/v1/regions", "RegionRead")):
        operation = document["paths"][path]["get"]
        assert operation["description"] or operation["summary"]
        assert schema in str(operation["responses"]["200"]["content"]["application/json"])
        assert schema in document["components"]["schemas"]
