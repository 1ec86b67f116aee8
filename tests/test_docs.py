"""Docs that tests keep honest: the CLI reference is generated, the README names every command."""

from __future__ import annotations

from pathlib import Path

import typer

from cibscope.cli import app
from cibscope.cli.reference import cli_reference

REPO = Path(__file__).resolve().parents[1]


def _commands() -> list[str]:
    return sorted(getattr(typer.main.get_command(app), "commands", {}))


def test_cli_reference_is_up_to_date():
    current = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == cli_reference(), "docs/cli.md is stale: run `python -m cibscope.cli.reference > docs/cli.md`"


def test_every_command_has_help_and_is_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    root = typer.main.get_command(app)
    for name in _commands():
        cmd = root.commands[name]  # type: ignore[attr-defined]
        assert (cmd.help or "").strip(), f"command {name} has no help text"
        assert f"cibscope {name}" in readme, f"README.md does not mention `cibscope {name}`"


def test_ci_runs_exactly_the_readme_test_command():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash scripts/test.sh" in readme and "bash scripts/test.sh" in ci
    assert "bash scripts/demo.sh" in readme


def test_environment_variables_documented_are_the_ones_read():
    import re

    from cibscope.cli.reference import ENVIRONMENT

    src = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "src" / "cibscope").rglob("*.py") if p.name != "reference.py")
    read = set(re.findall(r"""environ(?:\.get)?[\[(]\s*["'](CIBSCOPE_[A-Z_]+)["']""", src))
    assert read == set(ENVIRONMENT), f"read but not documented: {read - set(ENVIRONMENT)}; documented but not read: {set(ENVIRONMENT) - read}"
