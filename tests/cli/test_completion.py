"""Shell completion: the shipped scripts, the candidates `mpo` answers with, and the three
real shells loading the scripts and completing partial command lines."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import migrated
from tests.cli.conftest import environment
from tests.cli.steps import SQLITE_ONLY, task_in
from tests.conftest import MpoRunner

ROOT = Path(__file__).parents[2]
SCRIPTS = {"bash": ROOT / "completions" / "mpo.bash", "zsh": ROOT / "completions" / "_mpo",
           "fish": ROOT / "completions" / "mpo.fish"}
SHELLS = Path(__file__).parent / "shells"
HEAVY = ("sqlmodel", "sqlalchemy", "alembic")


def words(line: str) -> list[str]:
    """A partial command line as the shell splits it; a trailing space starts a new word."""
    return shlex.split(line) + ([""] if line.endswith(" ") else [])


def request(line: str) -> dict[str, str]:
    """The environment the bash script sets when it asks `mpo` for candidates."""
    split = words(line)
    return {"_MPO_COMPLETE": "bash_complete", "COMP_WORDS": " ".join(split),
            "COMP_CWORD": str(len(split) - 1)}


def complete(runner: MpoRunner, line: str) -> list[str]:
    """The candidates `mpo` answers for `line` (bash protocol), in-process."""
    result = runner(env=request(line))
    assert result.exit_code == 0 and result.stderr == "", result.stderr
    return [item.split(",", 1)[1] for item in result.stdout.splitlines() if item]


def create_task(runner: MpoRunner) -> str:
    return str(runner.json("create", "-m", "amazon", "-t", "A task", "-c", "scaling",
                           "-e", "1")["id"])


@pytest.mark.parametrize("shell", SCRIPTS)
def test_the_shipped_scripts_are_what_mpo_completion_prints(
        runner: MpoRunner, shell: str) -> None:
    result = runner("completion", shell)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == SCRIPTS[shell].read_text(), (
        f"completions/ is out of date: run `mpo completion {shell} > {SCRIPTS[shell].name}`")


def test_an_unknown_shell_lists_the_supported_ones(runner: MpoRunner) -> None:
    result = runner("completion", "tcsh")
    assert result.exit_code == 2
    assert "'bash', 'zsh', 'fish'" in result.stderr


@pytest.mark.parametrize(("line", "expected"), [
    ("mpo s", ["show", "submit", "start", "stats", "serve", "subtask", "status"]),
    ("mpo profile ", ["list", "add", "use", "remove"]),
    ("mpo config s", ["set"]),
    ("mpo list --st", ["--status"]),
    ("mpo list --status a", ["awaiting_approval", "approved"]),
    ("mpo create --category b", ["best-practice"]),
    ("mpo approve --priority ", ["high", "medium", "low"]),
    ("mpo list --fields id,cr", ["id,created_by", "id,created_at"]),
    ("mpo approve -m sh", ["shopee", "shein"]),
    ("mpo config get time", ["timezone"]),
    ("mpo completion ", ["bash", "zsh", "fish"]),
    ("mpo reject --reason-code d", ["duplicate"]),  # issue 24
    ("mpo reject 3f2a --reason-code o", ["out-of-scope", "other"]),
    ("mpo cancel --all --reason-code ob", ["obsolete"]),
])
def test_mpo_answers_with_the_candidates(
        runner: MpoRunner, line: str, expected: list[str]) -> None:
    assert complete(runner, line) == expected


def test_profile_names_and_their_settings_complete(runner: MpoRunner) -> None:
    assert runner("profile", "add", "team").exit_code == 0
    assert runner("profile", "add", "staging").exit_code == 0
    assert runner("--profile", "team", "config", "set", "marketplaces", "kaway,shein"
                  ).exit_code == 0
    assert complete(runner, "mpo --profile ") == ["default", "staging", "team"]
    assert complete(runner, "mpo profile use t") == ["team"]
    assert complete(runner, "mpo profile remove s") == ["staging"]
    assert complete(runner, "mpo --profile team list -m ") == ["kaway", "shein"]
    assert complete(runner, "mpo list -m ")[:2] == ["amazon", "shopee"]


def test_task_ids_complete_from_the_database(runner: MpoRunner, initialised: str) -> None:
    ids = sorted(create_task(runner) for _ in range(3))
    assert complete(runner, f"mpo show {ids[0][:1]}")[0] == ids[0]
    assert complete(runner, f"mpo approve {ids[1][:6]}") == [ids[1]]
    assert complete(runner, f"mpo log --task {ids[2][:9]}") == [ids[2]]
    assert complete(runner, "mpo show ") == []
    assert complete(runner, "mpo show zz") == []


@SQLITE_ONLY
def test_task_ids_complete_only_with_a_credential_and_only_visible_tasks(
        runner: MpoRunner, initialised: str, monkeypatch: pytest.MonkeyPatch) -> None:
    shopee = task_in(runner, "pending", marketplace="shopee")
    amazon = task_in(runner, "pending")
    agent = runner.json("principal", "rotate", "marketplace-amazon")["token"]
    monkeypatch.setenv("MPO_TOKEN", agent)
    assert complete(runner, f"mpo show {amazon[:6]}") == [amazon]
    assert complete(runner, f"mpo show {shopee[:6]}") == []
    monkeypatch.setenv("MPO_TOKEN", "mpo_not-a-token")
    assert complete(runner, f"mpo show {amazon[:6]}") == []
    monkeypatch.delenv("MPO_TOKEN")
    assert complete(runner, f"mpo --as viewer show {amazon[:6]}") == []  # none stored
    assert complete(runner, f"mpo show {amazon[:6]}") == [amazon]  # the admin's, stored


def test_task_ids_follow_db_on_the_command_line(runner: MpoRunner, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPO_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    migrated.prepare(f"sqlite:///{tmp_path / 'empty.db'}")  # init finds the schema at head
    assert runner("init").exit_code == 0
    other = f"sqlite:///{tmp_path / 'other.db'}"
    migrated.prepare(other)
    assert runner("--db", other, "init").exit_code == 0
    task = str(runner.json("--db", other, "create", "-m", "amazon", "-t", "x", "-c",
                           "scaling", "-e", "1")["id"])
    assert complete(runner, f"mpo show {task[:4]}") == []
    assert complete(runner, f"mpo --db {other} show {task[:4]}") == [task]


def test_completing_writes_nothing_and_says_nothing_when_things_are_broken(
        runner: MpoRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "missing.db"
    monkeypatch.setenv("MPO_DATABASE_URL", f"sqlite:///{missing}")
    assert complete(runner, "mpo show 3f") == []
    assert not missing.exists()
    assert complete(runner, "mpo --db postgresql://mpo@127.0.0.1:1/x show 3f") == []

    config = tmp_path / "broken.toml"
    config.write_text("[profiles\n")
    monkeypatch.setenv("MPO_CONFIG", str(config))
    assert complete(runner, "mpo show 3f") == []
    assert complete(runner, "mpo --profile ") == []
    assert complete(runner, "mpo list -m sh") == ["shopee", "shein"]
    assert config.read_text() == "[profiles\n"


@pytest.mark.e2e
def test_completing_imports_no_database_layer(runner: MpoRunner, initialised: str) -> None:
    task = create_task(runner)
    probe = (
        "import atexit, sys\n"
        f"atexit.register(lambda: print(sorted({{m.split('.')[0] for m in sys.modules}} "
        f"& {set(HEAVY)!r}), file=sys.stderr))\n"
        "from mpo.cli.app import main\n"
        "main()\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            env=environment(**request(f"mpo show {task[:5]}")), timeout=60,
                            check=False)
    assert result.stdout == f"plain,{task}\n"
    assert result.stderr == "[]\n"


def need(shell: str) -> str:
    """The shell's path; skipped without it, failed in CI (.ci/run installs zsh and fish)."""
    path = shutil.which(shell)
    if path is None:
        message = f"{shell} is not installed: its completion tests need it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def in_bash(line: str) -> list[str]:
    """The candidates bash's registered completion function puts in COMPREPLY."""
    script = (
        'source "$1"\n'
        "fn=$(complete -p mpo | sed -E 's/.* -F ([^ ]+) mpo$/\\1/')\n"
        'eval "COMP_WORDS=($2)"\n'
        "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
        '"$fn" mpo\n'
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    quoted = " ".join(shlex.quote(w) for w in words(line))
    return run([need("bash"), "--norc", "--noprofile", "-c", script, "bash",
                str(SCRIPTS["bash"]), quoted])


def in_zsh(line: str, tmp_path: Path) -> list[str]:
    """The candidates zsh's completion system accepts, typed with TAB in a real zsh."""
    out = tmp_path / f"zsh-{len(list(tmp_path.iterdir()))}.out"
    return run([need("zsh"), "-f", str(SHELLS / "zsh-complete.zsh"),
                str(SHELLS / "zsh-capture.zsh"), line],
               MPO_SCRIPT=str(SCRIPTS["zsh"]), MPO_OUT=str(out))


def in_fish(line: str) -> list[str]:
    """The candidates `complete -C` gives in fish (descriptions dropped)."""
    return [c.split("\t")[0] for c in run(
        [need("fish"), "--no-config", "-c", "source $argv[1]; complete -C $argv[2]",
         str(SCRIPTS["fish"]), line])]


def run(argv: list[str], **env: str) -> list[str]:
    result = subprocess.run(argv, capture_output=True, text=True, env=environment(**env),
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line]


@pytest.mark.e2e
@pytest.mark.parametrize("shell", SCRIPTS)
def test_real_shells_complete_with_the_shipped_scripts(
        runner: MpoRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shell: str) -> None:
    monkeypatch.setenv("MPO_DATABASE_URL", f"sqlite:///{tmp_path / 'mpo.db'}")
    migrated.prepare(f"sqlite:///{tmp_path / 'mpo.db'}")  # init finds the schema at head
    assert runner("init").exit_code == 0
    task = create_task(runner)
    assert runner("profile", "add", "team").exit_code == 0
    cases = {
        "mpo sh": ["show"],
        "mpo s": ["serve", "show", "start", "stats", "status", "submit", "subtask"],
        "mpo profile ": ["add", "list", "remove", "use"],
        "mpo list --status a": ["approved", "awaiting_approval"],
        "mpo --profile t": ["team"],
        f"mpo show {task[:6]}": [task],
        "mpo reject --reason-code d": ["duplicate"],  # issue 24
        f"mpo reject {task[:6]} --reason-code ou": ["out-of-scope"],
    }
    for line, expected in cases.items():
        if shell == "bash":
            got = in_bash(line)
        elif shell == "zsh":
            got = in_zsh(line, tmp_path)
        else:
            got = in_fish(line)
        assert sorted(got) == expected, (shell, line)
