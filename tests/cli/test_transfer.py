"""`mpo export`, `mpo import` (mpo's JSONL and Taskwarrior's) and `mpo db backup`, through
the real app, read back from the database."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
import uuid
from pathlib import Path

import psycopg
import pytest

from mpo.cli.context import AppContext
from tests.cli.steps import task_in
from tests.conftest import MpoRunner
from tests.readback import fetch
from tests.team import add_members

SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def world(runner: MpoRunner) -> None:
    """Tasks in several states, with tags, metadata, reasons and notes."""
    task_in(runner, "completed", "done", "--tag", "geo,seo", "--metadata",
            '{"z": 1, "a": {"y": [1, 2], "b": null}}')
    task_in(runner, "rejected", "no", marketplace="shopee")
    task_in(runner, "awaiting_approval", "wait", "--description", "tab\there\nline")
    task_in(runner, "pending", "new")


def export(runner: MpoRunner, *args: str, env: dict[str, str] | None = None) -> str:
    result = runner("export", *args, env=env)
    assert result.exit_code == 0, result.stderr
    return str(result.stdout)


@pytest.mark.postgres
def test_sqlite_to_jsonl_to_postgresql_to_jsonl_is_identical_and_idempotent(
    runner: MpoRunner, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'a.db'}"
    monkeypatch.setenv("MPO_DATABASE_URL", sqlite_url)
    assert runner("init", "--admin", "root").exit_code == 0
    add_members(sqlite_url)
    world(runner)
    first = export(runner)
    records = [json.loads(line) for line in first.splitlines()]
    assert [r["status"] for r in records] == ["completed", "rejected", "awaiting_approval",
                                              "pending"]
    assert [e["action"] for e in records[0]["history"]] == [
        "create", "submit", "approve", "assign", "complete"]
    dump = tmp_path / "tasks.jsonl"
    dump.write_text(first, encoding="utf-8")

    monkeypatch.setenv("MPO_DATABASE_URL", pg_url)  # the owner's connection (postgres)
    assert runner("init", "--admin", "root").exit_code == 0
    add_members(pg_url)
    for _ in range(2):
        result = runner("import", str(dump))
        assert result.exit_code == 0, result.stderr
    assert "imported 0 tasks (0 events), 4 already there unchanged" in result.stderr
    assert export(runner) == first
    events = fetch(pg_url, "SELECT count(*) AS n FROM task_event")[0]["n"]
    assert events == sum(len(r["history"]) for r in records)
    # The id sequence moved past the imported events: new work appends after them.
    task_in(runner, "approved", "after import")
    newest = fetch(pg_url, "SELECT max(id) AS n FROM task_event")[0]["n"]
    assert newest == events + 3


@pytest.mark.postgres
def test_an_app_login_may_not_import_on_postgresql(
    runner: MpoRunner, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MPO_DATABASE_URL", pg_url)
    assert runner("init", "--admin", "root").exit_code == 0
    add_members(pg_url)
    task_in(runner, "approved", "one")
    record = json.loads(export(runner))
    record["id"] = str(uuid.uuid4())
    record["history"] = [dict(e, id=None, task_id=record["id"]) for e in record["history"]]
    dump = tmp_path / "x.jsonl"
    dump.write_text(json.dumps(record) + "\n", encoding="utf-8")
    role = f"mpo_test_{uuid.uuid4().hex[:10]}"
    owner = pg_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE mpo_app')
    try:
        token = AppContext().credential.token
        result = runner("--db", pg_url.replace("postgres@", f"{role}@", 1), "import",
                        str(dump), env={"MPO_TOKEN": token})
    finally:
        with psycopg.connect(owner, autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')
    assert result.exit_code == 4, result.stderr
    assert "connect as the database owner (postgres)" in result.stderr
    assert fetch(pg_url, "SELECT count(*) AS n FROM task")[0]["n"] == 1


@SQLITE
def test_an_import_that_conflicts_or_is_invalid_changes_nothing(
    runner: MpoRunner, initialised: str, tmp_path: Path
) -> None:
    task_in(runner, "approved", "one")
    line = json.loads(export(runner))
    other = dict(line, id="00000000-0000-4000-8000-000000000001", history=[])
    changed = dict(line, title="changed")
    dump = tmp_path / "x.jsonl"
    dump.write_text(json.dumps(other) + "\n" + json.dumps(changed) + "\n", encoding="utf-8")
    result = runner("import", str(dump))
    assert result.exit_code == 5 and "line 2" in result.stderr and "other content" in result.stderr
    bad = dict(other, status="done")
    dump.write_text(json.dumps(other) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    result = runner("import", str(dump))
    assert result.exit_code == 2 and "line 2" in result.stderr and "status" in result.stderr
    assert fetch(initialised, "SELECT count(*) AS n FROM task")[0]["n"] == 1


@SQLITE
def test_only_admins_import_and_csv_export_carries_the_history(
    runner: MpoRunner, initialised: str, tmp_path: Path
) -> None:
    task_in(runner, "approved", "one")
    rows = list(csv.DictReader(io.StringIO(export(runner, "--format", "csv"))))
    assert [e["action"] for e in json.loads(rows[0]["history"])] == ["create", "submit",
                                                                      "approve"]
    token = runner.json("principal", "add", "vera", "--role", "viewer")["token"]
    dump = tmp_path / "x.jsonl"
    dump.write_text(export(runner), encoding="utf-8")
    result = runner("import", str(dump), env={"MPO_TOKEN": token})
    assert result.exit_code == 4 and "may not import" in result.stderr


TASKWARRIOR = [
    {"id": 1, "uuid": "5b1f3c1e-8c2a-4d3b-9a51-1f6f1e2d3c4b", "description": "Fix GEO titles",
     "entry": "20260101T100000Z", "modified": "20260102T100000Z", "project": "amazon.geo",
     "priority": "H", "status": "pending", "tags": ["optimization"],
     "annotations": [{"entry": "20260101T110000Z", "description": "see the seller notes"}]},
    {"id": 0, "uuid": "6c2f3c1e-8c2a-4d3b-9a51-1f6f1e2d3c4b", "description": "Scale ads",
     "entry": "20260101T100000Z", "start": "20260101T120000Z", "end": "20260101T150000Z",
     "project": "Shopee", "priority": "L", "status": "completed"},
    {"id": 0, "uuid": "7d2f3c1e-8c2a-4d3b-9a51-1f6f1e2d3c4b", "description": "Old idea",
     "entry": "20260101T100000Z", "end": "20260103T100000Z", "status": "deleted"},
    {"id": 2, "uuid": "8e2f3c1e-8c2a-4d3b-9a51-1f6f1e2d3c4b", "description": "Weekly check",
     "entry": "20260101T100000Z", "status": "recurring", "recur": "weekly"},
]


@SQLITE
def test_a_taskwarrior_export_comes_in_mapped_and_only_once(
    runner: MpoRunner, initialised: str, tmp_path: Path
) -> None:
    source = tmp_path / "tw.json"
    source.write_text(json.dumps(TASKWARRIOR), encoding="utf-8")
    assert runner("import", "--from-taskwarrior", str(source)).exit_code == 2  # no marketplace
    for _ in range(2):
        result = runner("import", "--from-taskwarrior", str(source), "-m", "shein")
        assert result.exit_code == 0, result.stderr
    assert "skipped task 4: a recurring template" in result.stderr
    assert "imported 0 tasks (0 events), 3 already there unchanged" in result.stderr
    rows = {r["title"]: r for r in runner.json("list")}
    assert set(rows) == {"Fix GEO titles", "Scale ads", "Old idea"}
    assert (rows["Fix GEO titles"]["marketplace"], rows["Fix GEO titles"]["priority"],
            rows["Fix GEO titles"]["status"]) == ("amazon", "high", "approved")
    assert (rows["Scale ads"]["marketplace"], rows["Scale ads"]["status"],
            rows["Scale ads"]["actual_hours"]) == ("shopee", "completed", 3.0)
    assert (rows["Old idea"]["marketplace"], rows["Old idea"]["status"]) == ("shein", "rejected")
    assert rows["Fix GEO titles"]["id"] == TASKWARRIOR[0]["uuid"]
    history = runner.json("show", TASKWARRIOR[0]["uuid"])["history"]
    assert history[0]["payload"]["annotations"] == [
        {"at": "2026-01-01T11:00:00+00:00", "text": "see the seller notes"}]


@SQLITE
def test_a_backup_is_consistent_while_a_writer_runs(runner: MpoRunner, initialised: str,
                                                      tmp_path: Path) -> None:
    from mpo.core.usecases.create import create_tasks

    context = AppContext()
    db, actor, rules = context.database, context.actor, context.settings.rules
    stop = threading.Event()

    def write() -> None:
        n = 0
        while not stop.is_set():
            create_tasks(db, actor, [("task", {"marketplace": "amazon", "title": f"w{n}",
                                               "category": "scaling", "estimated_hours": 1})],
                         rules)
            n += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        target = tmp_path / "copy.db"
        result = runner("db", "backup", str(target))
        again = runner("db", "backup", str(target))
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.stderr
    assert again.exit_code == 2 and "--force" in again.stderr
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tasks = copy.execute("SELECT count(*) FROM task").fetchone()[0]
        events = copy.execute("SELECT count(*) FROM task_event").fetchone()[0]
    assert tasks == events  # each create is one task and one event: a consistent snapshot


@pytest.mark.postgres
def test_backup_on_postgresql_points_to_pg_dump(runner: MpoRunner, pg_url: str) -> None:
    result = runner("--db", pg_url, "db", "backup", "x.db")
    assert result.exit_code == 2 and "pg_dump" in result.stderr
