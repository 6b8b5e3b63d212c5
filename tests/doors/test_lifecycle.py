"""Every lifecycle verb through every door that has it (issue 20), on SQLite and on
PostgreSQL as an `mpo_app` login: the same row, the same events, the same routing of an
approval, the same hook and plugin calls (once per change), and the same answer as
`mpo VERB --json`.

`/api/v1` must have every CLI verb (docs/api.md): its cancel and undo are tested like the
others, and fail until it has them.
"""

from __future__ import annotations

import pytest

from tests.doors.case import equivalence
from tests.doors.doors import DOORS, cases
from tests.doors.world import World

VERBS = ("submit", "approve", "reject", "assign", "start", "complete", "cancel", "undo")


@pytest.mark.parametrize(("door", "verb"), cases(*VERBS))
def test_a_verb_leaves_the_same_through_every_door(doors_world: World, door: str,
                                                   verb: str) -> None:
    found = equivalence(doors_world, DOORS[door], verb)
    if found:
        pytest.fail(f"{verb} through {door}:\n" + "\n".join(found), pytrace=False)
