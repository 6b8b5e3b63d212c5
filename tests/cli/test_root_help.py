"""`mpo --help` from the generated index: the same text as typer's rich help, without
loading typer, click, rich or any command module (issue 26: 0.24 s, asked 0.12 s)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer
import typer.testing

from mpo.cli import root_help
from mpo.cli.app import app
from tests.cli import help_index_gen


def test_the_index_is_what_the_app_declares() -> None:
    stored = help_index_gen.TARGET.read_text()
    assert stored == _formatted(help_index_gen.source()), (
        "src/mpo/cli/help_index.py is stale: run `python -m tests.cli.help_index_gen`")


def _formatted(source: str) -> str:
    done = subprocess.run([sys.executable, "-m", "ruff", "format", "-"], input=source,
                          capture_output=True, text=True, check=True)
    return done.stdout


@pytest.mark.parametrize("width", [60, 80, 100, 120, 200])
def test_the_fast_help_is_the_rich_help_character_for_character(
    width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    result = typer.testing.CliRunner().invoke(app, ["--help"], env={"COLUMNS": str(width)})
    assert result.exit_code == 0
    assert root_help.render(width) == result.stdout


def test_a_word_wider_than_its_column_is_left_to_rich() -> None:
    assert root_help.render(50) is None
    assert not root_help.answered(["--help", "--db", "x"])


def test_the_help_loads_neither_typer_nor_any_command_module() -> None:
    probe = ("import sys\nfrom mpo.cli import root_help\n"
             "assert root_help.answered(['--help'])\n"
             "loaded = {m.split('.')[0] for m in sys.modules} & {'typer', 'click', 'rich'}\n"
             "commands = [m for m in sys.modules if m.startswith('mpo.cli.')\n"
             "            and m not in ('mpo.cli.root_help', 'mpo.cli.help_index')]\n"
             "sys.stderr.write(repr((sorted(loaded), commands)))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env={"COLUMNS": "100", "PATH": ""}, check=True)
    assert done.stderr == "([], [])"
    assert done.stdout.startswith(" " * 100 + "\n Usage: mpo [OPTIONS] COMMAND [ARGS]...")
