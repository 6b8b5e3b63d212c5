"""Who may take each lifecycle action, in words, from the permission table and the
declaration: what `mpo roles` and the docs' role columns print."""

from __future__ import annotations

from dataclasses import replace

from mpo.core.domain.lifecycle import SPECS, transition_for
from mpo.core.domain.permissions import Role, actions_of, takers, who_may
from mpo.core.domain.vocabulary import Action

MINE = "assigned to them"
FREE = "unassigned or assigned to them"


def test_each_action_names_its_roles_and_their_limits() -> None:
    assert {s.action: who_may(s) for s in SPECS} == {
        "submit": ["agent (own, from pending)", "master", "admin"],
        "approve": ["admin"],
        "reject": ["admin"],
        "assign": ["admin"],
        "start": ["admin", "member (unassigned or assigned to them)"],
        "complete": [f"agent (own marketplace, {MINE})", f"master ({MINE})", "admin",
                     f"member ({MINE})"],
        "cancel": ["agent (own, from pending or awaiting_approval)", "admin"],
        "claim": [f"agent (own marketplace, {FREE})", f"master ({FREE})", "admin",
                  f"member ({FREE})"],
        **{action: [f"agent (own marketplace, {MINE})", f"master ({MINE})", "admin",
                    f"member ({MINE})"] for action in ("heartbeat", "release", "note")},
        "lease_expired": ["agent (own marketplace)", "master", "admin", "member"],
    }


def test_a_workflows_roles_replace_the_tables_and_carry_no_limit() -> None:
    custom = replace(transition_for(Action.COMPLETE), roles=frozenset({"member", "agent"}))
    assert takers(custom) == (Role.AGENT, Role.MEMBER)
    assert who_may(custom) == ["agent", "member"]
    assert actions_of(Role.ADMIN, [custom]) == []


def test_a_role_without_lifecycle_actions_lists_none() -> None:
    assert actions_of(Role.VIEWER, SPECS) == []
