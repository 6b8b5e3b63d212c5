"""`mpo create`, `mpo list`, `mpo show`: through the real app, read back from the database."""

from __future__ import annotations

import json
from pathlib import Path

from mpo.report import fields
from tests import readback
from tests.cli.steps import SQLITE_ONLY, create, task_in
from tests.conftest import MpoRunner

LINE = {"marketplace": "amazon", "title": "t", "category": "analysis", "estimated_hours": 1}


def ndjson(*objects: object) -> str:
    return "".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objects)


# --- create ---------------------------------------------------------------------------------


def test_create_stores_the_task_and_its_create_event(runner: MpoRunner, initialised: str) -> None:
    task = create(runner, "Rewrite GEO titles", "--description", "top 50", "--priority", "high",
                  "--tag", "geo,seo", "--tag", "titles", "--metadata", '{"skus": 50}')
    assert tuple(task) == fields.CREATED.all
    assert (task["created"], task["status"]) == (True, "pending")
    row = readback.tasks(initialised)[task["id"]]
    assert (row["title"], row["description"], row["priority"], row["status"]) == (
        "Rewrite GEO titles", "top 50", "high", "pending")
    assert (row["tags"], row["metadata"]) == (["geo", "seo", "titles"], {"skus": 50})
    assert row["created_by"] == "marketplace-amazon"
    [event] = readback.events(initialised)
    assert (event["task_id"], event["action"], event["to_status"], event["actor"]) == (
        task["id"], "create", "pending", "marketplace-amazon")


@SQLITE_ONLY
def test_create_takes_the_short_flags_its_help_shows(runner: MpoRunner, initialised: str) -> None:
    result = runner("create", "-m", "amazon", "-t", "Rewrite GEO titles", "-c", "optimization",
                    "-e", "4", "-p", "low", "-d", "desc", "--json")
    assert result.exit_code == 0, result.stderr
    assert [r["priority"] for r in readback.tasks(initialised).values()] == ["low"]


@SQLITE_ONLY
def test_an_invalid_create_names_the_field_and_stores_nothing(
    runner: MpoRunner, initialised: str
) -> None:
    result = runner("create", "-m", "amazon", "-t", "x" * 501, "-c", "optimization", "-e", "4")
    assert result.exit_code == 2
    assert result.stderr == "error: title: must be at most 500 characters, got 501\n"
    result = runner("create", "-m", "ebay", "-t", "t", "-c", "optimization", "-e", "4")
    assert result.exit_code == 2
    assert "marketplace: 'ebay' is not one of amazon, shopee" in result.stderr
    assert readback.tasks(initialised) == {}


def test_a_retry_with_the_same_key_and_content_returns_the_task(
    runner: MpoRunner, initialised: str
) -> None:
    first = create(runner, "t", "--idempotency-key", "run-42")
    again = create(runner, "t", "--idempotency-key", "run-42")
    assert (again["id"], again["created"]) == (first["id"], False)
    assert list(readback.tasks(initialised)) == [first["id"]]
    assert len(readback.events(initialised)) == 1


def test_the_same_key_with_other_content_is_a_conflict(runner: MpoRunner, initialised: str
                                                       ) -> None:
    first = create(runner, "t", "--idempotency-key", "run-42")
    result = runner("create", "-m", "amazon", "-t", "other", "-c", "optimization", "-e", "4",
                    "--created-by", "marketplace-amazon", "--idempotency-key", "run-42")
    assert result.exit_code == 5
    assert f"idempotency_key 'run-42' was used for task {first['id']}" in result.stderr
    assert [r["title"] for r in readback.tasks(initialised).values()] == ["t"]


def test_bulk_create_from_a_file_is_one_transaction_with_one_batch(
    runner: MpoRunner, initialised: str, tmp_path: Path
) -> None:
    source = tmp_path / "tasks.ndjson"
    source.write_text(ndjson(LINE | {"title": "a"}, LINE | {"title": "b", "tags": ["x"]},
                             LINE | {"title": "c", "estimatedHours": 2} | {"estimated_hours": 2}))
    result = runner("create", "--from", str(source), "--json")
    assert result.exit_code == 0, result.stderr
    made = json.loads(result.stdout)
    assert [t["title"] for t in made] == ["a", "b", "c"]
    assert result.stderr == "created 3, existing 0, skipped 0\n"
    assert {r["title"] for r in readback.tasks(initialised).values()} == {"a", "b", "c"}
    assert len({e["batch_id"] for e in readback.events(initialised)}) == 1


@SQLITE_ONLY
def test_bulk_create_reads_stdin(runner: MpoRunner, initialised: str) -> None:
    result = runner("create", "--from", "-", "--jsonl",
                    input=ndjson(LINE | {"title": "a"}, LINE | {"title": "b"}))
    assert result.exit_code == 0, result.stderr
    assert [json.loads(line)["title"] for line in result.stdout.splitlines()] == ["a", "b"]
    assert len(readback.tasks(initialised)) == 2


def test_bad_lines_stop_a_bulk_create_and_are_reported_by_line_number(
    runner: MpoRunner, initialised: str
) -> None:
    text = ndjson(LINE, "{broken", "", LINE | {"priority": "urgent"}, "[1, 2]", LINE)
    result = runner("create", "--from", "-", input=text)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "create: 3 invalid items, nothing changed" in result.stderr
    for expected in ("line 2: json: ", "line 4: priority: 'urgent' is not one of high, medium, "
                     "low", "line 5: json: each line must be a JSON object"):
        assert expected in result.stderr
    assert readback.tasks(initialised) == {}


def test_skip_invalid_creates_the_good_lines_and_reports_the_rest(
    runner: MpoRunner, initialised: str
) -> None:
    text = ndjson(LINE | {"title": "good"}, LINE | {"estimated_hours": 0})
    result = runner("create", "--from", "-", "--skip-invalid", "--json", input=text)
    assert result.exit_code == 0, result.stderr
    assert [t["title"] for t in json.loads(result.stdout)] == ["good"]
    assert "skipped line 2: estimated_hours: must be > 0 and <= 1000" in result.stderr
    assert [r["title"] for r in readback.tasks(initialised).values()] == ["good"]


@SQLITE_ONLY
def test_a_bulk_line_reusing_a_key_with_new_content_is_a_conflict(
    runner: MpoRunner, initialised: str
) -> None:
    create(runner, "t", "--idempotency-key", "k")
    result = runner("create", "--from", "-",
                    input=ndjson(LINE | {"title": "new"}, LINE | {"idempotency_key": "k"}))
    assert result.exit_code == 5
    assert "line 2: idempotency_key 'k' was used" in result.stderr
    assert len(readback.tasks(initialised)) == 1


@SQLITE_ONLY
def test_create_takes_fields_or_a_file_not_both(runner: MpoRunner, initialised: str) -> None:
    result = runner("create", "--from", "-", "--title", "t", input=ndjson(LINE))
    assert result.exit_code == 2
    assert "not both" in result.stderr
    missing = runner("create", "--from", "/nonexistent/tasks.ndjson")
    assert missing.exit_code == 2
    assert "from: cannot read /nonexistent/tasks.ndjson" in missing.stderr


# --- list -----------------------------------------------------------------------------------


def test_an_empty_list_is_success(runner: MpoRunner, initialised: str) -> None:
    result = runner("list")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert runner.json("list") == []


def test_list_filters_combine_with_and_and_repeat_with_or(
    runner: MpoRunner, initialised: str
) -> None:
    pending = task_in(runner, "pending", "p")
    waiting = task_in(runner, "awaiting_approval", "w", "--priority", "high")
    shopee = task_in(runner, "in_progress", "s", marketplace="shopee")

    def ids(*args: str) -> list[str]:
        return [t["id"] for t in runner.json("list", *args)]

    assert ids() == [shopee, waiting, pending]  # newest first
    assert ids("--oldest-first", "--limit", "2") == [pending, waiting]
    assert ids("--status", "pending,awaiting_approval") == [waiting, pending]
    assert ids("--status", "pending", "--status", "in_progress") == [shopee, pending]
    assert ids("--marketplace", "amazon", "--priority", "high") == [waiting]
    assert ids("--marketplace", "shopee", "--priority", "high") == []
    assert ids("--category", "optimization", "--created-by", "marketplace-shopee") == [shopee]
    assert ids("--assigned-to", "bea") == [shopee]
    assert ids("--since", "-1h") == [shopee, waiting, pending]  # "today" fails at midnight
    assert ids("--until", "-1d") == []


@SQLITE_ONLY
def test_a_paged_list_walks_every_task_by_its_cursor(runner: MpoRunner, initialised: str
                                                     ) -> None:
    lines = ndjson(*({**LINE, "title": f"Rewrite GEO titles {n}"} for n in range(5)))
    made = {t["id"] for t in runner.json("create", "--from", "-", input=lines)}
    page = runner.json("list", "--page", "--limit", "2")
    assert set(page) == {"tasks", "next_cursor"} and len(page["tasks"]) == 2
    seen = [t["id"] for t in page["tasks"]]
    cursor = page["next_cursor"]
    while cursor is not None:
        result = runner("list", "--after", cursor, "--limit", "2", "--jsonl", "--fields", "id")
        assert result.exit_code == 0, result.stderr
        *rows, last = [json.loads(line) for line in result.stdout.splitlines()]
        seen += [r["id"] for r in rows]
        cursor = last["next_cursor"]
    assert sorted(seen) == sorted(made)
    piped = runner("list", "--page", "--limit", "4")
    assert len(piped.stdout.splitlines()) == 4 and piped.stderr.startswith("more: --after c1.")
    assert isinstance(runner.json("list", "--limit", "1"), list)  # unchanged without --page


@SQLITE_ONLY
def test_list_search_ranks_matches_and_refuses_bad_input(runner: MpoRunner, initialised: str
                                                         ) -> None:
    runner("create", "--from", "-", input=ndjson(
        {**LINE, "title": "Retake images", "tags": ["geo"]},
        {**LINE, "title": "GEO titles", "description": "geo geo"},
        {**LINE, "title": "Reprice bundles"}))
    found = runner.json("list", "--search", "geo", "--fields", "title")
    assert [t["title"] for t in found] == ["GEO titles", "Retake images"]
    assert runner("list", "-q", "...").exit_code == 2
    assert runner("list", "-q", "geo", "--after", "c1.x").exit_code == 2


@SQLITE_ONLY
def test_list_refuses_filter_values_that_can_never_match(runner: MpoRunner, initialised: str
                                                         ) -> None:
    result = runner("list", "--status", "done")
    assert result.exit_code == 2
    assert result.stderr == ("error: status: 'done' is not one of pending, awaiting_approval, "
                             "approved, rejected, in_progress, completed, cancelled\n")
    assert runner("list", "--since", "last tuesday").exit_code == 2
    assert runner("list", "--limit", "0").exit_code == 2


# --- show -----------------------------------------------------------------------------------


def test_show_prints_every_field_and_the_history(runner: MpoRunner, initialised: str) -> None:
    task_id = task_in(runner, "completed")
    shown = runner.json("show", task_id[:6])
    assert set(shown) == set(fields.TASK.all) | {"history"}
    assert (shown["id"], shown["status"], shown["assigned_to"]) == (task_id, "completed", "bea")
    assert shown["accuracy"] == 0.75
    assert [e["action"] for e in shown["history"]] == [
        "create", "submit", "approve", "assign", "complete"]


def test_showing_an_unknown_id_is_not_found(runner: MpoRunner, initialised: str) -> None:
    result = runner("show", "0000")
    assert (result.exit_code, result.stderr) == (3, "error: no task with id 0000\n")
    result = runner("show", "xyz")
    assert result.exit_code == 2
    assert "not a task id or a unique prefix of 4+ hex characters" in result.stderr


def test_create_over_the_rate_limit_exits_5_and_says_when_to_retry(
    runner: MpoRunner, initialised: str
) -> None:
    env = {"MPO_RATE_LIMITS": "admin=1/hour"}
    assert runner("create", "-m", "amazon", "-t", "one", "-c", "analysis", "-e", "1",
                  env=env).exit_code == 0
    refused = runner("create", "-m", "amazon", "-t", "two", "-c", "analysis", "-e", "1",
                     env=env)
    assert refused.exit_code == 5, refused.stderr
    assert "rate limit 1/hour reached" in refused.stderr and "retry after" in refused.stderr
    assert len(readback.tasks(initialised)) == 1


@SQLITE_ONLY
def test_the_seeds_fields_are_kept_listed_and_filtered(runner: MpoRunner, initialised: str
                                                       ) -> None:
    from datetime import UTC, datetime, timedelta

    task = runner.json("create", "-m", "amazon", "-t", "t" * 500, "-c", "analysis", "-e", "2",
                       "--due", "+7d", "--listing", "MLB123", "--plan", "run-42",
                       "--source-type", "ai_generated")
    week = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
    assert (task["due_date"], task["listing_id"], task["plan_id"], task["source_type"]) == (
        week, "MLB123", "run-42", "ai_generated")
    other = runner.json("create", "-m", "amazon", "-t", "u", "-c", "analysis", "-e", "2",
                        "--due", "2026-12-24")
    assert (other["due_date"], other["source_type"]) == ("2026-12-24", "manual")
    assert [t["id"] for t in runner.json("list", "--listing", "MLB123")] == [task["id"]]
    bad = runner("create", "-m", "amazon", "-t", "v", "-c", "analysis", "-e", "2", "--due",
                 "soon")
    assert bad.exit_code == 2 and bad.stderr.startswith("error: due_date: 'soon' is not")
    wrong = runner("create", "-m", "amazon", "-t", "v", "-c", "analysis", "-e", "2",
                   "--source-type", "robot")
    assert wrong.exit_code == 2 and "source_type: 'robot' is not one of" in wrong.stderr
    row = readback.tasks(initialised)[task["id"]]
    assert (str(row["due_date"]), row["listing_id"]) == (week, "MLB123")


@SQLITE_ONLY
def test_blank_filter_and_tag_values_are_refused_not_ignored(
        runner: MpoRunner, initialised: str) -> None:
    task_in(runner, "pending")
    for args, option in ((["list", "--created-by", ""], "created-by"),
                         (["list", "-m", " "], "marketplace"),
                         (["submit", "--created-by", ""], "created-by"),
                         (["create", "-m", "amazon", "-t", "x", "-c", "scaling", "-e", "1",
                           "--tag", ""], "tag")):
        result = runner(*args)
        assert result.exit_code == 2, result.stderr
        assert result.stderr == f"error: {option}: must not be empty\n"
    assert len(readback.tasks(initialised)) == 1


@SQLITE_ONLY
def test_a_marketplace_typo_gets_a_did_you_mean(runner: MpoRunner, initialised: str) -> None:
    """Issue 24: `--marketplace` gets the hint `--to` has had (one rule: `one_of`)."""
    for args in (("create", "-m", "mercadolibre", "-t", "x", "-c", "optimization", "-e", "1"),
                 ("list", "--marketplace", "amazom")):
        result = runner(*args)
        assert result.exit_code == 2
        assert result.stderr.rstrip().endswith(
            "did you mean mercadolivre?" if "create" in args else "did you mean amazon?")
