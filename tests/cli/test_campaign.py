"""`mpo campaign create|show|list` and `--campaign` on batch verbs, on both databases;
the refusals also as a non-superuser PostgreSQL login (row-level security)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tests import migrated, readback
from tests.cli.steps import agent_token
from tests.conftest import MpoRunner
from tests.store.test_rls import _conninfo

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

FIELDS = ("-t", "Black Friday bundles", "-c", "scaling", "-e", "6", "--tag", "q4")


def master(runner: MpoRunner, *marketplaces: str) -> dict[str, str]:
    """The agents a campaign creates for, and the master who starts it: whoever records a
    task may not approve it, so the admin decides what the master started."""
    for marketplace in marketplaces:
        agent_token(runner, marketplace)
    token = runner.json("principal", "add", "orchestrator", "--role", "master")["token"]
    return {"MPO_TOKEN": token}


def test_a_campaign_fans_out_and_rolls_up(runner: MpoRunner, initialised: str) -> None:
    as_master = master(runner, "amazon", "shopee", "kaway")
    made = runner.json("campaign", "create", "bf", "-m", "amazon,shopee", "-m", "kaway",
                       *FIELDS, env=as_master)
    assert [(t["marketplace"], t["created_by"]) for t in made] == [
        ("amazon", "marketplace-amazon"), ("shopee", "marketplace-shopee"),
        ("kaway", "marketplace-kaway")]
    assert all(t["tags"] == ["q4", "campaign:bf"] for t in made)
    rows = readback.fetch(initialised, "SELECT campaign, count(*) AS n FROM task "
                                       "GROUP BY campaign")
    assert rows == [{"campaign": "bf", "n": 3}]
    runner.json("campaign", "create", "other", "-m", "amazon", *FIELDS, env=as_master)
    # batch verbs select by campaign
    assert len(runner.json("submit", "--campaign", "bf")) == 3
    amazon = made[0]["id"]
    for args in (["approve", "--campaign", "bf"], ["assign", amazon, "--to", "ana"],
                 ["complete", amazon, "--actual-hours", "4.5"]):
        assert runner(*args, "--yes").exit_code == 0
    shown = runner.json("campaign", "show", "bf")
    assert {k: shown[k] for k in ("total", "approved", "completed", "estimated_hours",
                                  "actual_hours", "progress")} == {
        "total": 3, "approved": 2, "completed": 1, "estimated_hours": 18.0,
        "actual_hours": 4.5, "progress": 0.3333}
    assert {t["id"] for t in shown["tasks"]} == {t["id"] for t in made}
    listed = {r["campaign"]: r for r in runner.json("campaign", "list")}
    assert (listed["bf"]["total"], listed["other"]["pending"]) == (3, 1)
    # archived work still counts in its campaign (docs/archive.md)
    assert runner("archive", "--before", "0s").exit_code == 0
    again = runner.json("campaign", "show", "bf")
    assert {k: again[k] for k in ("total", "completed", "actual_hours", "progress")} == {
        "total": 3, "completed": 1, "actual_hours": 4.5, "progress": 0.3333}


@SQLITE_ONLY  # refusals happen before the database matters
def test_bad_campaigns_change_nothing(runner: MpoRunner, initialised: str) -> None:
    agent_token(runner, "amazon")
    agent_token(runner, "shopee")
    assert runner("campaign", "create", "bf", "-m", "amazon", *FIELDS).exit_code == 0
    again = runner("campaign", "create", "bf", "-m", "shopee", *FIELDS)
    assert again.exit_code == 5 and "exists" in again.stderr
    typo = runner("campaign", "create", "new", "-m", "amazon,amazom", *FIELDS)
    assert typo.exit_code == 2 and "marketplaces" in typo.stderr
    missing = runner("campaign", "create", "new", "-m", "amazon", "-t", "x")
    assert missing.exit_code == 2 and "category" in missing.stderr
    assert readback.fetch(initialised, "SELECT count(*) AS n FROM task") == [{"n": 1}]
    unknown = runner("campaign", "show", "nope")
    assert unknown.exit_code == 3, unknown.stderr


@pytest.fixture
def as_app_role(runner: MpoRunner, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """`mpo init` on PostgreSQL, then the app connects as a login in mpo_app."""
    monkeypatch.setenv("MPO_DATABASE_URL", pg_url)
    migrated.prepare(pg_url)  # `mpo init` then finds the schema at head: fast
    assert runner("init").exit_code == 0
    role = f"mpo_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_conninfo(pg_url), autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN IN ROLE mpo_app')
    monkeypatch.setenv("MPO_DATABASE_URL", pg_url.replace("postgres@", f"{role}@", 1))
    yield role
    with psycopg.connect(_conninfo(pg_url), autocommit=True) as conn:
        conn.execute(f'DROP OWNED BY "{role}"')
        conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_an_agent_may_not_start_a_campaign_under_rls(runner: MpoRunner,
                                                     as_app_role: str) -> None:
    token = runner.json("principal", "add", "marketplace-amazon", "--role", "agent",
                        "--marketplace", "amazon")["token"]
    agent = {"MPO_TOKEN": token}
    agent_token(runner, "shopee")
    refused = runner("campaign", "create", "bf", "-m", "amazon,shopee", *FIELDS, env=agent)
    assert refused.exit_code == 4 and "may not campaign" in refused.stderr
    assert runner.json("campaign", "create", "bf", "-m", "amazon,shopee", *FIELDS)
    # through row-level security, the agent sees its own marketplace's task only
    shown = runner.json("campaign", "show", "bf", env=agent)
    assert (shown["total"], [t["marketplace"] for t in shown["tasks"]]) == (1, ["amazon"])


@SQLITE_ONLY
def test_a_campaign_takes_a_templates_fields_and_its_creator_may_not_approve_it(
        runner: MpoRunner, initialised: str) -> None:
    assert runner("template", "add", "bundles", "-m", "amazon", "-t", "Weekly bundles",
                  "-c", "scaling", "-e", "3", "--created-by", "marketplace-amazon"
                  ).exit_code == 0
    made = runner.json("campaign", "create", "cm", "-m", "amazon,shopee", "--template",
                       "bundles", "-e", "5")
    assert [(t["marketplace"], t["title"], t["estimated_hours"], t["recorded_by"])
            for t in made] == [("amazon", "Weekly bundles", 5.0, "root"),
                               ("shopee", "Weekly bundles", 5.0, "root")]
    assert runner("submit", "--campaign", "cm").exit_code == 0
    refused = runner("approve", "--campaign", "cm", "--yes")
    assert refused.exit_code == 4 and "nobody may approve" in refused.stderr
    unknown = runner("campaign", "create", "x", "-m", "amazon", "--template", "nope")
    assert unknown.exit_code == 3, unknown.stderr
    nobody = runner("campaign", "create", "y", "-m", "kaway", *FIELDS)
    assert nobody.exit_code == 2 and "no active agent marketplace-kaway" in nobody.stderr
