"""Bad input found by fuzzing (issue 11, defect 1): each one is a one-line validation error
with exit 2 on both databases, never "unexpected" (exit 1), and nothing is written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MpoRunner

BAD_UTF8 = os.fsdecode(b"caf\xe9")  # what argv and environ hold for a Latin-1 byte
DEEP = "[" * 100_000 + "]" * 100_000
TASK = ["create", "-m", "amazon", "-c", "optimization", "-e", "4",
        "--created-by", "marketplace-amazon"]


def _file(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


CASES: dict[str, list[str]] = {
    "invalid UTF-8 in an option": [*TASK, "-t", BAD_UTF8],
    "invalid UTF-8 in a filter": ["list", "--created-by", BAD_UTF8],
    "nested JSON in --metadata": [*TASK, "-t", "x", "--metadata", '{"a": ' + DEEP + "}"],
    "400-digit integer in --metadata": [*TASK, "-t", "x", "--metadata",
                                        '{"a": 1' + "0" * 400 + "}"],
    "5,000-digit integer in --metadata": [*TASK, "-t", "x", "--metadata",
                                          '{"a": 1' + "0" * 5000 + "}"],
    "NaN in --metadata": [*TASK, "-t", "x", "--metadata", '{"a": NaN}'],
    "Infinity in --metadata": [*TASK, "-t", "x", "--metadata", '{"a": 1e309}'],
    "NUL in a title": [*TASK, "-t", "a\x00b"],
    "NUL in a description": [*TASK, "-t", "x", "-d", "a\x00b"],
    "NUL in an idempotency key": [*TASK, "-t", "x", "--idempotency-key", "k\x00"],
    "NUL in a tag": [*TASK, "-t", "x", "--tag", "a\x00"],
    "NUL in a note": ["approve", "--all", "--note", "a\x00"],
    "NUL in a filter": ["list", "--created-by", "a\x00"],
    "far past --since": ["list", "--since", "-999999999d"],
    "far future --since": ["list", "--since", "9999-12-31T23:59:59-12:00"],
    "far past ISO --since": ["log", "--since", "0001-01-01T00:00:00+12:00"],
    "last day for stats": ["stats", "--day", "9999-12-31"],
    "huge --backlog-age": ["stats", "--backlog-age", "99999999999999999999d"],
    "huge list --limit": ["list", "--limit", "99999999999999999999"],
    "huge log --limit": ["log", "--limit", "99999999999999999999"],
}


NDJSON: dict[str, bytes] = {
    "invalid UTF-8": b'{"marketplace": "amazon", "title": "caf\xe9"}\n',
    "nested": b'{"marketplace": "amazon", "metadata": ' + DEEP.encode() + b"}\n",
    "400 digits": b'{"marketplace": "amazon", "estimated_hours": 1' + b"0" * 400 + b"}\n",
    "5,000 digits": b'{"marketplace": "amazon", "estimated_hours": 1' + b"0" * 5000 + b"}\n",
    "escaped NUL": b'{"marketplace": "amazon", "title": "a\\u0000b", "category": "scaling", '
                   b'"estimated_hours": 1, "created_by": "marketplace-amazon"}\n',
    "lone surrogate": b'{"marketplace": "amazon", "title": "\\udce9", "category": "scaling", '
                      b'"estimated_hours": 1, "created_by": "marketplace-amazon"}\n',
}


def _tasks(runner: MpoRunner) -> str:
    result = runner("list", "--json")
    assert result.exit_code == 0, result.stderr
    return str(result.stdout)


def _problem(result: Any) -> str | None:
    """Why `result` is not a one-line validation error with exit 2, or None if it is."""
    stderr = str(result.stderr)
    if result.exit_code != 2 or not stderr.startswith("error: ") or stderr.count("\n") != 1:
        return f"exit {result.exit_code}: {stderr[:300]!r}"
    return None


def test_bad_input_is_a_validation_error_and_changes_nothing(
        runner: MpoRunner, initialised: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MPO_DEBUG")  # an unexpected error must show as exit 1, not raise
    runner("create", "-m", "amazon", "-t", "kept", "-c", "scaling", "-e", "1")
    before = _tasks(runner)
    problems: dict[str, str | None] = {case: _problem(runner(*args))
                                       for case, args in CASES.items()}
    for case, content in NDJSON.items():
        path = _file(tmp_path, "t.ndjson", content)
        problems[f"NDJSON {case}"] = _problem(runner("create", "--from", path))
    assert {case: why for case, why in problems.items() if why} == {}
    assert _tasks(runner) == before


def test_many_bad_lines_name_twenty_and_count_the_rest(
        runner: MpoRunner, initialised: str) -> None:
    result = runner("create", "--from", "-", input="{}\n" * 10_000)
    assert result.exit_code == 2
    assert result.stderr.count("line ") == 20 and "and 9980 more" in result.stderr
    assert len(result.stderr) < 3_000


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_bad_credentials_and_settings_are_usage_errors(
        runner: MpoRunner, initialised: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MPO_DEBUG")
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "mpo" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    problems = {
        "token file": _problem(runner("--token-file", _file(tmp_path, "t", b"mpo_\xff"), "list")),
        "MPO_TOKEN": _problem(runner("list", env={"MPO_TOKEN": BAD_UTF8})),
        "ids on stdin": _problem(runner("submit", "-", input=b"caf\xe9")),  # type: ignore[arg-type]
        "timeout nan": _problem(runner("list", env={"MPO_KEYRING_TIMEOUT": "nan"})),
        "timeout -1": _problem(runner("list", env={"MPO_KEYRING_TIMEOUT": "-1"})),
        "timeout 1e400": _problem(runner("list", env={"MPO_KEYRING_TIMEOUT": "1e400"})),
    }
    config.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    problems["nested config"] = _problem(runner("list"))
    assert {case: why for case, why in problems.items() if why} == {}


def test_the_documented_input_rules_are_the_codes() -> None:
    from mpo.core.domain.errors import PROBLEMS_SHOWN
    from mpo.core.domain.timeparse import EARLIEST, LATEST
    from mpo.core.domain.wellformed import JSON_DEPTH_MAX, JSON_INT_MAX

    page = " ".join((Path(__file__).parents[2] / "docs" / "tasks.md").read_text().split())
    assert JSON_INT_MAX == 2**53 - 1 and "within ±(2^53 - 1)" in page
    assert f"nested at most {JSON_DEPTH_MAX} levels" in page
    assert f"between {EARLIEST.date().isoformat()} and {LATEST.date().isoformat()}" in page
    assert f"names the first {PROBLEMS_SHOWN} and counts the rest" in page


def test_list_all_names_what_to_do_instead(runner: MpoRunner) -> None:
    """`mpo list --all` is a natural guess no spelling is close to (issue 21): the error says
    plain `mpo list` already lists every task."""
    result = runner("list", "--all")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: No such option '--all'. Plain `mpo list` lists every task you may see; narrow "
        "it with --status or --marketplace, cap it with --limit.\n")
