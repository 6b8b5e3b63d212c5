"""The docs cannot drift: every command has a page, the exit-code table mirrors the enum,
the output page lists every field, and the index maps every page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mpo.cli import db
from mpo.core.domain.errors import ExitCode
from mpo.report import fields
from tests.cli.steps import commands

DOCS = Path(__file__).parents[1] / "docs"


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def pages() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md"))}


@pytest.mark.parametrize("path", [p for p, _ in commands()])
def test_every_command_has_a_docs_page_that_mentions_it(path: str) -> None:
    # `mpo db upgrade` may also appear as "`db upgrade`" in a list of commands.
    pattern = re.compile(rf"(?<![\w-]){re.escape(path)}(?![\w-])")
    documented = [name for name, text in pages().items()
                  if name != "index.md" and pattern.search(text)]
    assert documented, f"no page in docs/ mentions `{path}`"


def test_the_exit_code_table_mirrors_the_enum() -> None:
    rows = re.findall(r"^\| (\d+) \| ([A-Z_]+) \|", page("exit-codes.md"), re.MULTILINE)
    assert [(int(code), name) for code, name in rows] == [(c.value, c.name) for c in ExitCode]


def test_the_readme_and_help_list_the_same_exit_codes() -> None:
    from mpo.cli.app import EXIT_CODES

    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    codes = [int(c) for c in re.findall(r"^\| (\d+) \|", readme, re.MULTILINE)]
    assert codes == [c.value for c in ExitCode]
    assert [int(c) for c in re.findall(r"(\d+) [a-z]", EXIT_CODES)] == [c.value for c in ExitCode]


KINDS = {"task": fields.TASK, "event": fields.EVENT, "result": fields.RESULT,
         "setup": db.SETUP, "init": db.INIT, "explained task": fields.EXPLAINED,
         "campaign": fields.CAMPAIGN, "subtask": fields.SUBTASK, "status": fields.WORKFLOW}


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_output_page_lists_each_kinds_fields_and_defaults_in_order(kind: str) -> None:
    row = re.search(rf"^\| {kind} \|(.*)$", page("output.md"), re.MULTILINE)
    assert row is not None, f"output.md has no row for {kind}"
    cells = [cell.strip() for cell in row.group(1).split("|")]
    documented_all, documented_default = (re.findall(r"`([a-z_]+)`", c) for c in cells[1:3])
    assert tuple(documented_all) == KINDS[kind].all
    assert tuple(documented_default) == KINDS[kind].default


def test_the_output_page_lists_the_created_task_fields() -> None:
    row = re.search(r"^\| created task \|(.*)$", page("output.md"), re.MULTILINE)
    assert row is not None
    assert fields.CREATED.all == (*fields.TASK.all, "created")
    assert tuple(re.findall(r"`([a-z_]+)`", row.group(1).split("|")[2])) == \
        fields.CREATED.default


def test_the_index_links_every_page_and_every_link_resolves() -> None:
    text = page("index.md")
    linked = set(re.findall(r"\]\(([\w-]+\.md)\)", text))
    assert linked == set(pages()) - {"index.md"}


def test_links_between_pages_resolve() -> None:
    for name, text in pages().items():
        for target in re.findall(r"\]\(([^)#]+\.md)", text):
            assert (DOCS / target).is_file(), f"{name} links to missing {target}"


def table_rows(text: str, header: str) -> list[list[str]]:
    """The body rows of the markdown table whose header row starts with `header`, as cells."""
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def test_the_lifecycle_table_is_the_declaration_and_the_permission_table() -> None:
    """docs/lifecycle.md: each action's from, to, options, stamped columns and roles."""
    from mpo.cli.options import METAVARS
    from mpo.core.domain.lifecycle import SPECS
    from mpo.core.domain.permissions import who_may

    rows = table_rows(page("lifecycle.md"), "| verb | from | to |")
    # `lease_expired` is no command (claims and `mpo expire` take it)
    assert [row[0] for row in rows] == [
        f"`{s.action}`" if s.action == "lease_expired" else f"`mpo {s.action}`" for s in SPECS]
    for row, spec in zip(rows, SPECS, strict=True):
        verb, sources, target, needs, records, roles = row
        assert sources == spec.label(), verb
        assert target == spec.target, verb
        assert not spec.cli or needs == ", ".join(
            f"`--{p.field} {METAVARS.get(p.kind, 'TEXT')}`" + ("" if p.required else " (optional)")
            for p in spec.params), verb
        assert tuple(re.findall(r"`([a-z_]+)`", records)) == spec.columns, verb
        assert roles == ", ".join(who_may(spec)), verb


def test_the_role_table_lists_each_roles_lifecycle_actions() -> None:
    """docs/security.md: what `mpo roles --fields role,actions` prints, role by role."""
    from mpo.core.domain.lifecycle import SPECS
    from mpo.core.domain.permissions import Role, actions_of

    rows = table_rows(page("security.md"), "| role | lifecycle actions")
    assert [row[0].split()[0] for row in rows] == [r.value for r in Role]
    for row in rows:
        role = Role(row[0].split()[0])
        assert row[1] == ", ".join(actions_of(role, SPECS)), role
