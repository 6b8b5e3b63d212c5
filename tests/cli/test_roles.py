"""`mpo roles` and the roles line of every command's help: both from PERMISSIONS."""

from __future__ import annotations

from mpo.cli.roles import COMMAND_VERBS
from mpo.core.domain.permissions import PERMISSIONS, Role
from tests.cli.steps import commands
from tests.conftest import MpoRunner

#: Commands that need no role (setup, the demo's own throwaway database, this machine's
#: credentials and config; `mpo serve`
#: checks each HTTP request's own token instead). A command added without a COMMAND_VERBS
#: entry shows up here: map it, or add it to this set.
NO_ROLE = {"mpo init", "mpo demo", "mpo db upgrade", "mpo db current", "mpo auth login",
           "mpo auth logout",
           "mpo auth status", "mpo config path", "mpo config list", "mpo config get",
           "mpo config set", "mpo config unset", "mpo profile list", "mpo profile add",
           "mpo profile use", "mpo profile remove", "mpo completion", "mpo roles", "mpo serve",
           "mpo mcp",
           # admins for anyone, people for themselves, agents never (its help says so)
           "mpo auth web-link",
           # its roles are those of the applied workflow (mpo workflow show), not the table
           "mpo move"}


def test_roles_prints_the_permission_table_without_a_database(runner: MpoRunner) -> None:
    rows = runner.json("roles")
    assert {r["role"]: set(r["may"].split(", ")) for r in rows} == {
        role.value: {v.value for v in verbs} for role, verbs in PERMISSIONS.items()}
    assert [r["role"] for r in rows] == [r.value for r in Role]


def test_every_mapped_command_says_which_roles_may_run_it(runner: MpoRunner) -> None:
    paths = {path for path, _ in commands()}
    assert {f"mpo {c}" for c in COMMAND_VERBS} <= paths, "COMMAND_VERBS names a lost command"
    for command, verb in COMMAND_VERBS.items():
        roles = [r.value for r in Role if verb in PERMISSIONS[r]]
        help_text = " ".join(runner(*command.split(), "--help").stdout.split())
        assert f"Roles: {', '.join(roles)} (see `mpo roles`)." in help_text, command


def test_the_commands_without_a_role_mapping_are_known() -> None:
    unmapped = {path for path, _ in commands()} - {f"mpo {c}" for c in COMMAND_VERBS}
    assert unmapped == NO_ROLE, f"commands without a role mapping: {sorted(unmapped)}"


def test_roles_lists_each_roles_lifecycle_actions_from_the_declaration(
        runner: MpoRunner) -> None:
    from mpo.core.domain.lifecycle import SPECS
    from mpo.core.domain.permissions import actions_of

    rows = runner.json("roles")
    assert {r["role"]: r["actions"] for r in rows} == {
        role.value: ", ".join(actions_of(role, SPECS)) for role in Role}
    mine, free = "assigned to them", "unassigned or assigned to them"
    assert rows[0]["actions"] == (
        f"submit (own, from pending), complete (own marketplace, {mine}), "
        "cancel (own, from pending or awaiting_approval), "
        f"claim (own marketplace, {free}), heartbeat (own marketplace, {mine}), "
        f"release (own marketplace, {mine}), note (own marketplace, {mine}), "
        "lease_expired (own marketplace)")
    table = runner("roles", "--fields", "role,actions")
    assert table.stdout.splitlines()[3] == (
        f"member\tstart ({free}), complete ({mine}), claim ({free}), heartbeat ({mine}), "
        f"release ({mine}), note ({mine}), lease_expired")
