"""The edges an attacker probed (issue 22, findings 16 and 19): hostile values are exit 2
(or, within the documented range, work), never exit 1; backups and exports are 0600; an app
login may remove a template. On both databases, through the real app."""

from __future__ import annotations

import json
import stat
import uuid
from pathlib import Path

import psycopg
import pytest

from mpo.cli.context import AppContext
from mpo.core.domain.wellformed import COUNT_MAX
from tests.cli.steps import create, task_in
from tests.conftest import MpoRunner
from tests.pg_app import conninfo
from tests.readback import fetch

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
DEEP = "[" * 100_000 + "]" * 100_000
TASK = ("--marketplace", "amazon", "--title", "x", "--category", "analysis",
        "--estimated-hours", "2")


def _usage(result: object) -> None:
    assert getattr(result, "exit_code") == 2, getattr(result, "stderr")  # noqa: B009
    assert "Traceback" not in getattr(result, "stderr")  # noqa: B009


def _tasks(url: str) -> int:
    return int(fetch(url, "SELECT count(*) AS n FROM task")[0]["n"])


def test_list_takes_the_largest_documented_limit(runner: MpoRunner, initialised: str) -> None:
    create(runner)
    result = runner("list", "--limit", str(COUNT_MAX), "--json")
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)) == 1
    _usage(runner("list", "--limit", str(COUNT_MAX + 1)))


def test_lone_surrogates_are_usage_errors(
        runner: MpoRunner, initialised: str, tmp_path: Path) -> None:
    lines = tmp_path / "s.ndjson"
    lines.write_text('{"marketplace":"amazon","title":"\\ud800","category":"analysis",'
                     '"estimated_hours":2}\n', encoding="utf-8")
    _usage(runner("create", "--from", str(lines)))
    _usage(runner("create", *TASK, "--metadata", '{"a": "\\ud800"}'))
    _usage(runner("create", *TASK, "--metadata", '{"\\udfff": 1}'))
    assert _tasks(initialised) == 0


@pytest.mark.parametrize("content", [b"\xff\xfe\x00binary", b'{"id": "caf\xe9"}\n',
                                     bytes(range(256))])
def test_importing_bytes_that_are_not_utf8_is_a_usage_error(
        runner: MpoRunner, initialised: str, tmp_path: Path, content: bytes) -> None:
    dump = tmp_path / "bad.jsonl"
    dump.write_bytes(content)
    result = runner("import", str(dump))
    _usage(result)
    assert "UTF-8" in result.stderr
    assert _tasks(initialised) == 0


def test_deep_json_in_template_fields_and_routing_is_a_usage_error(
        runner: MpoRunner, initialised: str) -> None:
    _usage(runner("template", "add", "deep", "--fields-json", DEEP))
    _usage(runner("template", "add", "deep", "--fields-json", '{"metadata": ' + DEEP + "}"))
    _usage(runner("config", "set", "routing", DEEP))


def test_out_of_range_numbers_are_usage_errors(runner: MpoRunner, initialised: str) -> None:
    _usage(runner("create", *TASK, "--due", "+99999999d"))
    _usage(runner("webhook", "remove", "1e23"))
    _usage(runner("webhook", "remove", str(2**64)))
    for since in ("1e23", str(2**63), str(2**64)):
        _usage(runner("watch", "--since-event", since, "--count", "1"))
    assert _tasks(initialised) == 0


def test_skip_invalid_with_every_task_invalid_does_not_crash(
        runner: MpoRunner, initialised: str, tmp_path: Path) -> None:
    single = runner("create", "--skip-invalid", "--marketplace", "nowhere", "--title", "x",
                    "--category", "analysis", "--estimated-hours", "2")
    assert single.exit_code == 12, single.stderr  # nothing applied (docs/exit-codes.md)
    assert "skipped task: marketplace" in single.stderr and "created 0" in single.stderr
    lines = tmp_path / "bad.ndjson"
    lines.write_text('nope\n{"marketplace": "nowhere"}\n[1]\n', encoding="utf-8")
    many = runner("create", "--from", str(lines), "--skip-invalid", "--json")
    assert many.exit_code == 12, many.stderr
    assert json.loads(many.stdout) == [] and "skipped 3" in many.stderr
    assert _tasks(initialised) == 0


@pytest.mark.postgres
def test_event_ids_past_2_31_work_on_postgresql(
        runner: MpoRunner, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPO_DATABASE_URL", pg_url)
    assert runner("init", "--admin", "root").exit_code == 0
    with psycopg.connect(conninfo(pg_url), autocommit=True) as conn:
        conn.execute("SELECT setval('task_event_id_seq', %s)", (2**31 + 10,))
    task_in(runner, "approved", "big ids")
    ids = [e["id"] for e in fetch(pg_url, "SELECT id FROM task_event ORDER BY id")]
    assert ids[0] > 2**31
    watched = runner("watch", "--since-event", str(ids[0]), "--jsonl", "--count", "1")
    assert watched.exit_code == 0, watched.stderr
    assert json.loads(watched.stdout.splitlines()[0])["id"] == ids[1]


@SQLITE
def test_backups_and_exports_are_private(
        runner: MpoRunner, initialised: str, tmp_path: Path) -> None:
    create(runner)
    backup, export = tmp_path / "b.db", tmp_path / "e.jsonl"
    assert runner("db", "backup", str(backup)).exit_code == 0
    assert runner("export", "--output", str(export)).exit_code == 0
    export.chmod(0o644)
    assert runner("export", "--output", str(export)).exit_code == 0  # overwritten: private
    for made in (backup, export):
        assert stat.S_IMODE(made.stat().st_mode) == 0o600, made


@pytest.mark.postgres
def test_an_app_login_removes_a_template(
        runner: MpoRunner, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPO_DATABASE_URL", pg_url)
    assert runner("init", "--admin", "root").exit_code == 0
    assert runner("template", "add", "t", *TASK, "--every", "0 * * * *").exit_code == 0
    assert runner("tick").exit_code == 0
    role = f"mpo_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(conninfo(pg_url), autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE mpo_app')
    try:
        app = pg_url.replace("postgres@", f"{role}@", 1)
        token = AppContext().credential.token
        removed = runner("--db", app, "template", "remove", "t", env={"MPO_TOKEN": token})
    finally:
        with psycopg.connect(conninfo(pg_url), autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')
    assert removed.exit_code == 0, removed.stderr
    assert fetch(pg_url, "SELECT count(*) AS n FROM task_template")[0]["n"] == 0
