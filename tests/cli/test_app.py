"""The root of `mpo`: exit codes provoked for real, one-line errors, tracebacks only on
request, `python -m mpo`, `--version`, a light `--help`, and help on every command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
import typer

import mpo
from mpo.config import paths
from mpo.core.domain.errors import ExitCode
from tests import readback
from tests.cli.steps import SQLITE_ONLY, commands, create, task_in
from tests.cli.test_lifecycle import on_terminal
from tests.conftest import MpoRunner
from tests.schema import downgrade, previous_revision

HEAVY = ("sqlmodel", "sqlalchemy", "psycopg", "keyring", "alembic", "fastapi", "uvicorn",
         "starlette", "prometheus_client", "textual", "mcp", "mcp_types")


def mpo_process(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mpo", *args], capture_output=True, text=True,
                          env=os.environ | (env or {}), timeout=120, check=False)


def corrupt_a_task(runner: MpoRunner, url: str) -> None:
    create(runner)
    readback.execute(url, "UPDATE task SET tags = 'not json'")


def behind(url: str) -> list[str]:
    downgrade(url, previous_revision())  # the schema an older mpo left
    return ["list"]


def provoke(code: ExitCode, runner: MpoRunner, url: str) -> list[str]:
    """The arguments of a command that really ends with `code` (after any set-up)."""
    if code is ExitCode.UNEXPECTED:
        corrupt_a_task(runner, url)
        return ["list"]
    if code is ExitCode.DATABASE:
        return behind(url)
    if code is ExitCode.AUTH:  # nobody may approve a task they created themselves
        own = runner.json("create", "-m", "amazon", "-t", "mine", "-c", "scaling", "-e", "1")
        assert runner("submit", own["id"]).exit_code == 0
        return ["approve", own["id"]]
    if code is ExitCode.CANCELLED:  # a large batch's confirmation answered "n" on a terminal
        for _ in range(3):
            task_in(runner, "pending")
        assert runner("config", "set", "confirm_over", "2").exit_code == 0
        return ["submit", "--all"]
    if code is ExitCode.ALERT:  # more tasks await approval than the threshold allows
        task_in(runner, "awaiting_approval")
        assert runner("config", "set", "alert_awaiting_over", "0").exit_code == 0
        return ["status", "--check"]
    if code is ExitCode.PARTIAL:  # a notification channel nobody answers on
        task_in(runner, "awaiting_approval")
        path = paths.config_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text((path.read_text() if path.exists() else "") + '\n[[channels]]\n'
                        'name = "ops"\nemail = "ops@x.org"\nquiet_hours = ""\n')
        for key, value in (("smtp_url", "smtp://127.0.0.1:9"), ("digest_time", "00:00")):
            assert runner("config", "set", key, value).exit_code == 0
        return ["notify"]
    return {
        ExitCode.OK: ["list"],
        ExitCode.USAGE: ["list", "--status", "done"],
        ExitCode.NOT_FOUND: ["show", "0000"],
        ExitCode.CONFLICT: ["approve", task_in(runner, "pending")],
        ExitCode.TIMEOUT: ["wait", task_in(runner, "awaiting_approval"), "--timeout", "0"],
        ExitCode.DECLINED: ["wait", task_in(runner, "rejected"), "--for", "approved"],
        ExitCode.NOTHING_APPLIED: ["approve", task_in(runner, "pending"), "--skip-invalid"],
    }[code]


@SQLITE_ONLY
@pytest.mark.parametrize("code", list(ExitCode))
def test_every_exit_code_is_provoked_for_real_with_a_one_line_error(
    runner: MpoRunner, initialised: str, code: ExitCode, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = provoke(code, runner, initialised)
    if code is ExitCode.CANCELLED:  # only a terminal is asked: the installed mpo on a pty
        monkeypatch.setenv("MPO_DEBUG", "")
        exit_code, seen = on_terminal(args, answer="n")
        assert exit_code == code, seen
        asked, _, after = seen.partition("submit 3 tasks? [y/N]")
        assert asked == "" and after.startswith(": n\r\n"), seen
        # after the prompt and the echoed answer: one line, the error
        assert after.split("\n", 1)[1] == "error: cancelled; nothing changed\r\n", seen
        assert set(readback.statuses(initialised).values()) == {"pending"}
        return
    result = runner(*args, env={"MPO_DEBUG": ""})
    assert result.exit_code == code, result.stderr
    if code is ExitCode.OK:
        assert result.stderr == ""
    else:
        assert result.stderr.startswith("error: ")
        assert result.stderr.count("\n") == 1, result.stderr
        assert "Traceback" not in result.stderr


@SQLITE_ONLY
def test_usage_errors_from_the_parser_are_one_line_too(runner: MpoRunner, initialised: str
                                                       ) -> None:
    for args in (["list", "--bogus"], ["frobnicate"], ["create", "-e", "many"]):
        result = runner(*args)
        assert result.exit_code == 2, args
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
        assert "--help`)" in result.stderr


@SQLITE_ONLY
def test_an_unexpected_error_shows_a_traceback_only_with_mpo_debug(
    runner: MpoRunner, initialised: str
) -> None:
    corrupt_a_task(runner, initialised)
    quiet = mpo_process("list", env={"MPO_DEBUG": ""})
    assert quiet.returncode == 1
    assert quiet.stderr.startswith("error: unexpected JSONDecodeError: ")
    assert quiet.stderr.endswith("(set MPO_DEBUG=1 for a traceback)\n")
    loud = mpo_process("list", env={"MPO_DEBUG": "1"})
    assert loud.returncode == 1
    assert "Traceback (most recent call last)" in loud.stderr


@SQLITE_ONLY
def test_mpo_debug_does_not_turn_expected_errors_into_tracebacks(
    runner: MpoRunner, initialised: str
) -> None:
    shown = mpo_process("show", "0000", env={"MPO_DEBUG": "1"})
    assert (shown.returncode, shown.stderr) == (3, "error: no task with id 0000\n")


def test_python_dash_m_mpo_runs_the_cli() -> None:
    result = mpo_process("--help")
    assert result.returncode == 0
    assert "Usage: mpo" in result.stdout
    assert "Exit codes: 0 ok, 1 unexpected error, 2 usage or validation error" in \
        " ".join(result.stdout.replace("│", " ").split())


def test_version_prints_the_package_version(runner: MpoRunner) -> None:
    result = runner("--version")
    assert (result.exit_code, result.stdout) == (0, f"mpo {mpo.__version__}\n")


def test_bare_mpo_prints_the_help_without_an_error_line(runner: MpoRunner) -> None:
    result = runner()
    assert result.exit_code == 2
    assert "Usage: mpo" in result.stdout
    assert "error:" not in result.stderr


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["create", "--help"],
                                  ["approve", "--help"], ["serve", "--help"], ["mcp", "--help"],
                                  ["review", "--help"], ["dashboard", "--help"]])
def test_help_and_version_import_no_database_or_keyring_code(args: list[str]) -> None:
    probe = (
        "import json, sys\n"
        "from mpo.cli.app import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"heavy = sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))\n"
        "sys.stderr.write(json.dumps(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=60, check=True)
    assert json.loads(result.stderr) == []


def test_the_app_has_the_foundation_commands() -> None:
    paths = {path for path, _ in commands()}
    assert {"mpo create", "mpo list", "mpo show", "mpo submit", "mpo approve", "mpo reject",
            "mpo assign", "mpo start", "mpo complete", "mpo log", "mpo init",
            "mpo db upgrade", "mpo db current"} <= paths


@pytest.mark.parametrize(("path", "command"), commands(), ids=[p for p, _ in commands()])
def test_every_command_has_a_sentence_of_help_and_an_example(
    path: str, command: click.Command
) -> None:
    assert command.help and command.help.strip()
    examples = [line.split()[1:] for line in command.help.splitlines()
                if line.startswith("Example: mpo ")]
    assert examples, f"{path}: no 'Example: mpo ...' line"
    words = iter(examples[0])
    assert all(word in words for word in path.split()), f"{path}: {examples[0]}"
    undocumented = [p.name for p in command.params if not getattr(p, "help", None)]
    assert undocumented == [], f"{path}: options and arguments without help"


def test_the_command_table_names_each_modules_commands_exactly() -> None:
    import importlib
    import pkgutil

    import mpo.cli
    from mpo.cli.app import COMMANDS

    defined: dict[str, str] = {}
    for info in pkgutil.iter_modules(mpo.cli.__path__):
        module = importlib.import_module(f"mpo.cli.{info.name}")
        if isinstance(getattr(module, "app", None), typer.Typer) and info.name != "app":
            for name in typer.main.get_group(module.app).commands:
                defined[name] = info.name
    assert defined == COMMANDS


def test_a_command_imports_only_its_own_module_of_the_cli() -> None:
    probe = (
        "import json, sys\n"
        "from mpo.cli.app import main\n"
        "try:\n"
        "    main(['create', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write(json.dumps(sorted(m for m in sys.modules if m.startswith('mpo.cli.'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=60, check=True)
    loaded = set(json.loads(result.stderr))
    assert "mpo.cli.tasks" in loaded
    assert not loaded & {"mpo.cli.lifecycle", "mpo.cli.serve", "mpo.cli.review",
                         "mpo.cli.webhook", "mpo.cli.stats"}


def test_the_console_script_flushes_and_exits_with_the_commands_code(tmp_path: Path) -> None:
    """`run` leaves with os._exit after flushing: the output, the code and the atexit
    handlers are all there."""
    marker = tmp_path / "atexit-ran"
    probe = (
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(marker)!r}, 'w').close())\n"
        "from mpo.cli.app import run\n"
        "sys.argv = ['mpo', '--version']\n"
        "run()\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, check=False)
    assert (done.returncode, done.stdout) == (0, f"mpo {mpo.__version__}\n")
    assert marker.exists()
    bad = subprocess.run([sys.executable, "-m", "mpo", "no-such-command"], capture_output=True,
                         text=True, timeout=60, check=False)
    assert bad.returncode == 2 and bad.stderr.startswith("error: ")
