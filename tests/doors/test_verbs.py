"""Every verb through every door that has it (issue 20), on SQLite and on PostgreSQL as an
`mpo_app` login, each on a task made with every field set:

- the same row (every column; ids and times only as set or not) and the same events
  (action, from, to, actor, reason, payload, which batch) as `mpo VERB` leaves;
- the same routing: with `auto_assign` on, an approval through any door is assigned at
  once by the round-robin rule, with its `assign` event;
- the same hook and `mpo_event` plugin calls: once per change, whichever door made it;
- the answer: a create answers the task as stored (every documented field, none missing
  from one door; a due date through HTTP answered 500 on main at 0d820e7), the seed
  answers its tasks as stored, `/api/v1` the result rows `mpo VERB --json` prints.

`/api/v1` must have every CLI verb (docs/api.md): its cancel and undo are tested like the
others, and fail until it has them. Where the seed has no verb, it has no test.
"""

from __future__ import annotations

import pytest

from tests.doors.case import document_problems, equivalence
from tests.doors.doors import ALL_VERBS, DOORS, Cli, answer_of, cases
from tests.doors.world import World


@pytest.mark.parametrize(("door", "verb"), cases(*ALL_VERBS))
def test_a_verb_leaves_the_same_through_every_door(doors_world: World, door: str,
                                                   verb: str) -> None:
    found = equivalence(doors_world, DOORS[door], verb)
    if found:
        pytest.fail(f"{verb} through {door}:\n" + "\n".join(found), pytrace=False)


@pytest.mark.parametrize("door", ["cli", "http_v1"])
def test_a_door_shows_a_task_as_stored(doors_world: World, door: str) -> None:
    """`mpo show --json` and `GET /api/v1/tasks/{id}`: every field, as the database has it."""
    task_id = doors_world.new_task()
    if door == "cli":
        answer = Cli().run(doors_world, "root", "show", task_id)
    else:
        path = f"/api/v1/tasks/{task_id}"
        answer = answer_of(f"GET {path}", doors_world.http("root").get(path))
    if not answer.ok or not isinstance(answer.body, dict):
        pytest.fail(answer.problem(), pytrace=False)
    found = document_problems(door, frozenset({"history", "prediction"}), answer.body,
                              doors_world.document(task_id))
    if found:
        pytest.fail("\n".join(found), pytrace=False)
