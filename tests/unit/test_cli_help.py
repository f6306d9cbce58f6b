"""What a newcomer reads first: ``--version``, every option's help and default, ``policy list``,
and a README that lists every option of ``up`` and ships the body its commands post."""

import json
import re
from importlib.metadata import version
from pathlib import Path

import pytest
from stdnum.cn import ric

from contracts import DEPARTMENT_NAMES
from services.common.policy import known_regions, load_policy
from services.launcher import cli
from services.launcher.topology import SIZE

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _onedoor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    try:
        cli.main(list(args))
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    else:
        code = 0
    return code, capsys.readouterr().out


def _commands() -> list[tuple[str, ...]]:
    """Every command and subcommand, as the top-level help lists them."""
    parser = cli._parser()
    found = []
    for name, command in parser._subparsers._group_actions[0].choices.items():  # type: ignore[union-attr]
        nested = [a for a in command._actions if a.choices and hasattr(a, "_name_parser_map")]
        found += [(name, sub) for sub in nested[0].choices] if nested else [(name,)]
    return found


def _blocks(help_text: str) -> dict[str, str]:
    """Each argument of a --help text (its invocation) -> its help, lines joined."""
    blocks: dict[str, str] = {}
    current = None
    for line in help_text.splitlines():
        if re.match(r"^  \S", line):
            invocation, _, text = line.strip().partition("  ")
            current = invocation
            blocks[current] = text.strip()
        elif re.match(r"^\s{6,}\S", line) and current:
            blocks[current] = f"{blocks[current]} {line.strip()}".strip()
        else:
            current = None
    return blocks


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _onedoor(capsys, "--version")

    assert code == 0
    assert out.strip() == f"onedoor {version('onedoor')}"


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_every_option_has_help_and_a_shown_default(command: tuple[str, ...],
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    code, out = _onedoor(capsys, *command, "--help")

    assert code == 0
    for invocation, text in _blocks(out).items():
        if invocation.startswith("-h"):
            continue
        assert text, f"onedoor {' '.join(command)}: {invocation} has no help"
        takes_value = invocation.startswith("-") and " " in invocation
        if takes_value:
            assert "(default" in text or "(required)" in text, (
                f"onedoor {' '.join(command)}: {invocation} shows no default: {text}")


def test_up_help_lists_the_regions_and_the_ports_with_the_window_post(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    _, out = _onedoor(capsys, "up", "--help")
    blocks = _blocks(out)

    region = blocks["--region REGION"]
    assert all(name in region for name in known_regions()), region
    port = blocks["--http-port HTTP_PORT"]
    assert "window post" in port and str(SIZE) in port, port


def test_policy_list_shows_every_region_with_its_departments_and_items(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _onedoor(capsys, "policy", "list")

    assert code == 0
    sections = re.split(r"\n(?=\S)", out.strip())
    assert len(sections) == len(known_regions())
    for section, region in zip(sections, known_regions(), strict=True):
        policy = load_policy(region)
        head = section.splitlines()[0]
        assert head.split()[0] == region and policy.name in head
        assert all(DEPARTMENT_NAMES[d] in section for d in policy.departments)
        assert all(re.search(rf"\b{code.value}\b", section) for code in policy.items)


def _readme_top() -> str:
    """The README up to its first section about using the API (what a newcomer runs)."""
    return README.split("## Using it")[0]


def test_the_readme_lists_every_option_of_up() -> None:
    parser = cli._parser()
    up = parser._subparsers._group_actions[0].choices["up"]  # type: ignore[union-attr]
    options = [a.option_strings[0] for a in up._actions if a.option_strings and a.dest != "help"]
    missing = [o for o in options if f"`{o}" not in _readme_top()]
    assert not missing, f"README does not list: {missing}"


def test_the_readme_posts_the_example_it_ships() -> None:
    posted = re.findall(r"-d @(\S+)", README)
    assert posted and all(p == "examples/application.json" for p in posted), posted


def test_the_example_application_is_valid_for_the_default_region() -> None:
    body = json.loads((ROOT / "examples" / "application.json").read_text(encoding="utf-8"))

    assert ric.is_valid(body["applicant"]["id_number"])
    policy = load_policy("default")
    assert body["items"] and all(item in policy.items for item in body["items"])
    # Every material the items need is there, so it is accepted, not sent back (一次性告知).
    assert not policy.missing_materials(body["items"], body["materials"])
