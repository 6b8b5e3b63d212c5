"""One verb through one door, observed: what the door answered, the task's row and events
as the database holds them, and the hook and plugin calls each change made. `problems`
lists, in one line each, where a door leaves something other than the rulebook (and the
command line, the reference door) says.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from mpo.core.domain.task_fields import TASK
from mpo.core.domain.vocabulary import Action
from tests.doors.doors import ACTOR, DOORS, Answer, Door
from tests.doors.world import POOL, RULE, World, fields
from tests.readback import uid

A, P, S = Action.APPROVE, Action.SUBMIT, Action.ASSIGN
#: The actions that bring a new task to where each verb starts (made through the core).
SETUP: dict[str, tuple[Action, ...]] = {
    "submit": (), "cancel": (), "approve": (P,), "reject": (P,), "undo": (P,),
    "assign": (P, A), "start": (P, A), "complete": (P, A, S)}
ROOT, AGENT, BRUNO = "root", "marketplace-amazon", "bruno"
#: The events each verb writes: (action, from, to, actor). An approval is routed at once.
EXPECTED: dict[str, list[tuple[str, str | None, str, str]]] = {
    "create": [("create", None, "pending", AGENT)],
    "submit": [("submit", "pending", "awaiting_approval", AGENT)],
    "approve": [("approve", "awaiting_approval", "approved", ROOT),
                ("assign", "approved", "in_progress", ROOT)],
    "reject": [("reject", "awaiting_approval", "rejected", ROOT)],
    "assign": [("assign", "approved", "in_progress", ROOT)],
    "start": [("start", "approved", "in_progress", BRUNO)],
    "complete": [("complete", "in_progress", "completed", BRUNO)],
    "cancel": [("cancel", "pending", "cancelled", AGENT)],
    "undo": [("reject", "awaiting_approval", "rejected", ROOT),
             ("undo", "rejected", "awaiting_approval", ROOT)],
}
TIMES = re.compile(r"(_at|^at|^timestamp)$")
IDS = frozenset({"id", "task_id", "batch_id", "undoes"})
UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")


@dataclass
class Observed:
    """A verb run through a door, and what it left."""

    door: str
    verb: str
    answer: Answer
    task_id: str | None
    request: dict[str, Any] = field(default_factory=dict)
    row: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    new: list[dict[str, Any]] = field(default_factory=list)
    hooks: list[dict[str, Any]] = field(default_factory=list)
    logged: list[dict[str, Any]] = field(default_factory=list)


def observe(world: World, door: Door, verb: str) -> Observed:
    """Run `verb` through `door` on a task of its own, and read back what it left."""
    request: dict[str, Any] = {}
    before = world.last_event_id()
    if verb == "create":
        request = fields(f"doors-{uuid.uuid4()}")
        answer = door.create(world, ACTOR[verb], request)
        # Found by its key: a door that fails to answer may still have created it.
        found = world.find(idempotency_key=request["idempotency_key"])
        task_id = uid(found[0]["id"]) if found else None
    else:
        task_id = world.new_task()
        world.move(task_id, *SETUP[verb])
        before = world.last_event_id()
        answer = door.verb(world, ACTOR[verb], verb, task_id)
    seen = Observed(door.name, verb, answer, task_id, request)
    if task_id is None:
        return seen
    seen.row = world.row(task_id)
    seen.events = world.events(task_id)
    seen.new = [e for e in seen.events if int(e["id"]) > before]
    seen.hooks, seen.logged = world.delivered(task_id, len(seen.new))
    return seen


def problems(world: World, seen: Observed) -> list[str]:
    """Where this door's run breaks the rules, on its own terms."""
    found = [] if seen.answer.ok else [seen.answer.problem()]
    if seen.task_id is None:
        return [*found, "no task was created"]
    got = [(e["action"], e["from_status"], e["to_status"], e["actor"]) for e in seen.new]
    if got != EXPECTED[seen.verb]:
        found.append(f"events written {got}, expected {EXPECTED[seen.verb]}")
    if seen.verb == "approve":
        found += _routed(seen)
    ids = [int(e["id"]) for e in seen.new]
    for what, docs in (("hooks", seen.hooks), ("mpo_event plugin", seen.logged)):
        if [d["id"] for d in docs] != ids:
            found.append(f"{what} ran for events {[d['id'] for d in docs]}, expected {ids} "
                         "(once per change)")
    if seen.verb == "create":
        stored = {k: str(v) if k == "due_date" else v for k, v in seen.row.items()}
        found += [f"stored {k}={stored[k]!r}, asked for {v!r}" for k, v in seen.request.items()
                  if stored[k] != v]
    door = DOORS[seen.door]
    document = door.document(seen.answer)
    if document is not None:
        found += document_problems(door.name, door.extras, document,
                                   world.document(seen.task_id))
    elif seen.verb == "create" or (seen.door == "http_seed" and seen.answer.ok):
        found.append(f"{seen.answer.call} answered no task document")
    return found


def _routed(seen: Observed) -> list[str]:
    assign = [e for e in seen.new if e["action"] == "assign"]
    payload = assign[0]["payload"] if assign else None
    if seen.row["status"] == "in_progress" and seen.row["assigned_to"] in POOL and \
            payload == {"assigned_to": seen.row["assigned_to"], "rule": RULE,
                        "strategy": "round-robin"}:
        return []
    return [f"not routed on approval (auto_assign): status {seen.row['status']}, assigned to "
            f"{seen.row['assigned_to']}, assign event payload {payload}"]


def document_problems(door: str, extras: frozenset[str], answered: dict[str, Any],
                      stored: dict[str, Any]) -> list[str]:
    """The task document a door answered against the task the database holds; `extras`
    are the keys the door documents besides the task's fields."""
    missing = [k for k in TASK if k not in answered]
    differ = [f"{k}: answered {answered[k]!r}, stored {stored[k]!r}" for k in TASK
              if k in answered and answered[k] != stored[k]]
    extra = sorted(set(answered) - set(TASK) - extras)
    return [f"{door}'s task document {what}: {items}" for what, items in
            (("lacks", missing), ("differs from the database", differ),
             ("has undocumented keys", extra)) if items]


# --- comparing two doors ------------------------------------------------------------


def clean(value: Any, key: str = "") -> Any:
    """Ids and times as markers (kept: whether they are set); pool members, uuids and event
    numbers in text as placeholders: what is left must match between doors."""
    if isinstance(value, dict):
        return {k: clean(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    if value is None:
        return None
    if key in IDS:
        return "<id>"
    if TIMES.search(key):
        return "<time>"
    if key == "due_date":
        return str(value)
    if isinstance(value, str):
        value = UUID.sub("<uuid>", value)
        value = re.sub(r"\bevent \d+", "event <n>", value)
        return re.sub(rf"\b({'|'.join(POOL)})\b", "<pool>", value)
    return value


def _events(seen: Observed) -> list[Any]:
    batches: dict[Any, int] = {}
    return [clean({k: v for k, v in e.items() if k not in ("id", "task_id", "at", "batch_id")}
                  | {"batch": batches.setdefault(e["batch_id"], len(batches))})
            for e in seen.events]


def compare(mine: Observed, theirs: Observed) -> list[str]:
    """Where `mine` left something else than `theirs` (the command line's run)."""
    if mine.task_id is None or theirs.task_id is None:
        return []
    found = []
    pairs = [("row", clean({k: v for k, v in mine.row.items() if k != "id"}),
              clean({k: v for k, v in theirs.row.items() if k != "id"})),
             ("events", _events(mine), _events(theirs))]
    if len(mine.hooks) == len(mine.new):
        pairs.append(("hook documents", clean(mine.hooks), clean(theirs.hooks)))
    if mine.answer.results is not None:
        pairs.append(("result rows", clean(mine.answer.results), clean(theirs.answer.results)))
    for what, a, b in pairs:
        if a != b:
            found.append(f"{what} differ from the CLI's: {'; '.join(diff(a, b))}")
    return found


def diff(a: Any, b: Any, where: str = "") -> list[str]:
    """Each place two normalised values differ, as `where: this != that`."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str)
                for d in diff(a.get(k, "<absent>"), b.get(k, "<absent>"), f"{where}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        n = min(len(a), len(b))
        found = [d for i in range(n) for d in diff(a[i], b[i], f"{where}[{i}]")]
        if len(a) != len(b):
            found.append(f"{where.lstrip('.') or 'list'}: {len(a)} items != CLI {len(b)}; "
                         f"only {'here' if len(a) > n else 'in the CLI'}: "
                         f"{[_short(x) for x in (a[n:] or b[n:])]}")
        return found
    return [] if a == b else [f"{where.lstrip('.') or 'value'}: {a!r} != CLI {b!r}"]


def _short(value: Any) -> Any:
    """An event, hook document or result row, by what it did."""
    if isinstance(value, dict):
        inner = value.get("data", value)
        if isinstance(inner, dict) and "action" in inner:
            by = f" by {inner['actor']}" if "actor" in inner else ""
            return f"{inner['action']} {inner.get('from_status')}->{inner.get('to_status')}{by}"
    return value


def equivalence(world: World, door: Door, verb: str) -> list[str]:
    """Every problem of `verb` through `door`, and every difference from the CLI's run."""
    mine = observe(world, door, verb)
    found = problems(world, mine)
    if door.name != "cli":
        found += compare(mine, observe(world, DOORS["cli"], verb))
    return found
