"""The whole lifecycle against a plain-Python model of it (hypothesis, stateful).

Create, submit, approve, reject, assign, start, complete, cancel, undo and expire run in
any order on a real database; after every step each task's status, which of its stamps
are set, and its audit events must agree with the model. Bounded: a few examples of a
few steps, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from mpo.config import urls
from mpo.core.domain.errors import BatchRejected, InvalidTransition
from mpo.core.domain.lifecycle import TRANSITIONS
from mpo.core.domain.results import BatchResult
from mpo.core.domain.selection import Selection
from mpo.core.domain.vocabulary import Action, Status
from mpo.core.usecases import undo
from mpo.core.usecases.create import create_tasks
from mpo.core.usecases.expiry import expire
from mpo.core.usecases.transitions import transition
from mpo.store.database import SqlDatabase
from tests import readback
from tests.builders import ADMIN, AGENT, PARAMS, RULES, draft

#: Every stamp column some transition sets: the model says which are set for each task.
STAMPS = sorted({c for t in TRANSITIONS.values() for c in t.columns})
MOVES = [a for a in TRANSITIONS]


@dataclass
class Model:
    """A task as the model sees it: status, stamps set, events (action, from, to, batch)."""

    status: Status = Status.PENDING
    stamps: set[str] = field(default_factory=set)
    events: list[tuple[str, str | None, str, str]] = field(default_factory=list)


class Witness:
    """Reads the tables back on a connection of its own (one, kept open: fast)."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine

        self.engine = create_engine(urls.normalise(url))

    def _rows(self, sql: str) -> list[dict[str, Any]]:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(sql))]

    def tasks(self) -> dict[str, dict[str, Any]]:
        return {str(readback.uid(r["id"])): r for r in self._rows("SELECT * FROM task")}

    def events(self) -> dict[str, list[tuple[str, str | None, str, str]]]:
        found: dict[str, list[tuple[str, str | None, str, str]]] = {}
        for e in self._rows("SELECT * FROM task_event ORDER BY id"):
            found.setdefault(str(readback.uid(e["task_id"])), []).append(
                (e["action"], e["from_status"], e["to_status"], str(readback.uid(e["batch_id"]))))
        return found


def machine(db: SqlDatabase, witness: Witness) -> type[RuleBasedStateMachine]:
    """A state machine class bound to one migrated database (kept across examples: each
    example starts by reading the tasks earlier ones left, as the model's starting point)."""
    clock = [datetime(2026, 3, 1, tzinfo=UTC)]

    class Lifecycle(RuleBasedStateMachine):
        @initialize()
        def load(self) -> None:
            self.tasks: dict[str, Model] = {}
            self.batches: list[str] = []
            events = witness.events()
            for task_id, row in witness.tasks().items():
                self.tasks[task_id] = Model(Status(row["status"]),
                                            {c for c in STAMPS if row[c] is not None},
                                            events[task_id])

        def now(self) -> datetime:
            return clock[0]

        @rule(minutes=st.integers(min_value=1, max_value=180))
        def wait(self, minutes: int) -> None:
            clock[0] += timedelta(minutes=minutes)

        @rule()
        def create(self) -> None:
            # The agent proposes, so the admin may decide (nobody decides their own).
            result = create_tasks(db, AGENT, [("task", draft())], RULES,
                                               clock=self.now)
            task_id = str(result.tasks[0].task.id)
            self.tasks[task_id] = Model(events=[("create", None, "pending",
                                                 str(result.batch_id))])
            self.batches.append(str(result.batch_id))

        def _record(self, result: BatchResult, stamped: dict[str, tuple[str, ...]]) -> None:
            for item in result.items:
                model = self.tasks[str(item.task.id)]
                model.events.append((str(result.action), model.status.value,
                                     str(item.to_status), str(result.batch_id)))
                model.status = Status(item.to_status)
                model.stamps |= set(stamped.get(str(item.task.id), ()))
            self.batches.append(str(result.batch_id))

        @rule(data=st.data(), action=st.sampled_from(MOVES))
        def move(self, data: st.DataObject, action: Action) -> None:
            # Draw an index whatever the database holds: earlier examples leave tasks
            # behind, and draws that depend on them make hypothesis' replays inconsistent.
            pick = data.draw(st.integers(min_value=0, max_value=10_000))
            if not self.tasks:
                return
            task_id = sorted(self.tasks)[pick % len(self.tasks)]
            model = self.tasks[task_id]
            t = TRANSITIONS[action]
            selection = Selection(refs=(task_id,))
            if model.status not in t.sources:
                try:
                    transition(db, ADMIN, action, selection, PARAMS, RULES,
                                            clock=self.now)
                except InvalidTransition:
                    return
                raise AssertionError(f"{action} from {model.status} was allowed")
            result = transition(db, ADMIN, action, selection, PARAMS, RULES,
                                             clock=self.now)
            columns = tuple(c for c in t.columns if c != "cancellation_reason"
                            or PARAMS.reason is not None)
            self._record(result, {task_id: columns})

        @rule(data=st.data())
        def undo_batch(self, data: st.DataObject) -> None:
            pick = data.draw(st.integers(min_value=0, max_value=10_000))
            if not self.batches:
                return
            batch = self.batches[pick % len(self.batches)]
            members = {task_id: m for task_id, m in self.tasks.items()
                       if any(e[3] == batch for e in m.events)}
            doable = all(m.events[-1][3] == batch and m.events[-1][0] in TRANSITIONS
                         for m in members.values())
            try:
                result = undo.undo(db, ADMIN, batch, clock=self.now)
            except BatchRejected:
                assert not doable, f"undo of {batch} refused"
                return
            assert doable, f"undo of {batch} allowed"
            for item in result.items:
                model = self.tasks[str(item.task.id)]
                action, before, after, _ = model.events[-1]
                model.stamps -= set(TRANSITIONS[Action(action)].columns)
                model.status = Status(str(before))
                model.events.append(("undo", after, str(before), str(result.batch_id)))
            self.batches.append(str(result.batch_id))

        @rule()
        def expire_stale(self) -> None:
            result = expire(db, ADMIN, RULES, older_than="2h",
                            statuses=("pending", "awaiting_approval"), clock=self.now)
            rows = witness.tasks()
            expected = {task_id for task_id, m in self.tasks.items()
                        if m.status in (Status.PENDING, Status.AWAITING_APPROVAL)
                        and self._waited(rows[task_id], m) > timedelta(hours=2)}
            assert {str(i.task.id) for i in result.items} == expected
            columns = ("cancelled_at", "cancelled_by", "cancellation_code",
                       "cancellation_reason")
            if result.items:
                self._record(result, dict.fromkeys(expected, columns))

        def _waited(self, row: dict[str, Any], model: Model) -> timedelta:
            stamp = row["created_at"] if model.status is Status.PENDING else row["submitted_at"]
            when = stamp if isinstance(stamp, datetime) else datetime.fromisoformat(str(stamp))
            return self.now() - (when if when.tzinfo else when.replace(tzinfo=UTC))

        @invariant()
        def database_agrees_with_the_model(self) -> None:
            if not hasattr(self, "tasks"):
                return
            rows, events = witness.tasks(), witness.events()
            assert set(rows) == set(self.tasks)
            for task_id, model in self.tasks.items():
                row = rows[task_id]
                assert row["status"] == model.status.value, task_id
                assert {c for c in STAMPS if row[c] is not None} == model.stamps, task_id
                assert events[task_id] == model.events, task_id

    return Lifecycle


def test_the_lifecycle_agrees_with_its_model(db: SqlDatabase, database_url: str) -> None:
    witness = Witness(database_url)
    try:
        run_state_machine_as_test(machine(db, witness), settings=settings(
            max_examples=8, stateful_step_count=15, deadline=None,
            suppress_health_check=list(HealthCheck)))
    finally:
        witness.engine.dispose()
