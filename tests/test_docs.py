"""The README stays honest: settings, quick-start commands and CI agree with the code."""

from __future__ import annotations

import re
from pathlib import Path

from assessment.settings import Settings

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def quick_start_commands() -> list[str]:
    section = re.search(r"^## Quick start$(.*?)^## ", README, re.M | re.S)
    assert section is not None
    block = re.search(r"```sh\n(.*?)```", section.group(1), re.S)
    assert block is not None
    return [line.strip() for line in block.group(1).splitlines()
            if line.strip() and not line.startswith("#")]


def test_quick_start_is_two_commands_and_ci_runs_the_second() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()
    for command in commands:
        script = REPO / command.split()[0]
        assert script.is_file() and script.stat().st_mode & 0o111, command


def test_every_setting_is_documented_with_its_default() -> None:
    rows = dict(re.findall(r"^\| `(MATURITY_[A-Z_]+)` \| (.+?) \|", README, re.M))
    fields = Settings.model_fields
    assert set(rows) == {f"MATURITY_{name.upper()}" for name in fields}
    for name, field in fields.items():
        if field.default_factory is None:
            expected = "unset" if field.default is None else f"`{field.default}`"
            assert rows[f"MATURITY_{name.upper()}"] == expected, name


def test_every_cli_command_is_documented() -> None:
    from typer.main import get_command

    from assessment.cli import app

    group = get_command(app)
    names: list[str] = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        names += [f"{name} {sub}" for sub in subcommands] if subcommands else [name]
    for name in names:
        assert f"`maturity {name}" in README, name


def _setup_packages(name: str) -> list[str]:
    setup = (REPO / "scripts" / "_setup.sh").read_text(encoding="utf-8")
    block = re.search(rf"^{name}=\((.*?)^\)", setup, re.M | re.S)
    assert block is not None, name
    specs = re.findall(r"'?([^\s']+)'?", block.group(1))
    return [spec.rsplit(":", 1)[1] for spec in specs]


def test_the_readme_names_every_system_package_the_commands_install() -> None:
    section = re.search(r"^## Quick start$(.*?)^## ", README, re.M | re.S)
    assert section is not None
    packages = _setup_packages("APP_PACKAGES") + _setup_packages("TEST_PACKAGES")
    assert {"libpango-1.0-0", "fonts-dejavu-core", "libatomic1", "chromium"} <= set(packages)
    for package in packages:
        assert f"`{package}`" in section.group(1), package


def test_ci_runs_the_fresh_machine_check_on_tests_that_exist() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "./scripts/fresh-machine-check.sh" in ci.splitlines()
    script = (REPO / "scripts" / "fresh-machine-check.sh").read_text(encoding="utf-8")
    block = re.search(r"^FRESH_TESTS=\((.*?)^\)", script, re.M | re.S)
    assert block is not None
    paths = re.findall(r"^\s*(tests/\S+)", block.group(1), re.M)
    assert len(paths) >= 4
    for path in paths:
        assert (REPO / path).is_file(), path
