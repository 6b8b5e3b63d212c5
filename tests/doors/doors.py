"""The doors into mpo, each behind the same small protocol: create a task, run a lifecycle
verb on one, and read the task document out of what the door answered.

Adding a door (an MCP server, a web approval page) is one more class here and one entry in
DOORS; every test in this package then runs through it too.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import httpx
import pytest

from tests.conftest import MpoRunner
from tests.doors.world import World

#: Who runs each verb (the same principal through every door).
ACTOR = {"create": "marketplace-amazon", "submit": "marketplace-amazon", "approve": "root",
         "reject": "root", "assign": "root", "start": "bruno", "complete": "bruno",
         "cancel": "marketplace-amazon", "undo": "root"}
#: Each verb's values, as mpo's own API names them (`/api/v1`'s bodies, the CLI's flags).
PARAMS: dict[str, dict[str, Any]] = {
    "submit": {}, "approve": {}, "start": {},
    "reject": {"reason_code": "other", "reason": "same as another"},
    "assign": {"to": "bruno"},
    "complete": {"actual_hours": 3, "note": "done"},
    "cancel": {"reason_code": "obsolete", "reason": "listing removed"},
}
ALL_VERBS = ("create", "submit", "approve", "reject", "assign", "start", "complete", "cancel",
             "undo")


@dataclass(frozen=True)
class Answer:
    """What a door answered: success, its exit code or HTTP status, and its JSON body."""

    call: str
    ok: bool
    status: int
    body: Any = None
    text: str = ""

    @property
    def results(self) -> list[dict[str, Any]] | None:
        """A batch verb's result rows (`mpo VERB --json`, `/api/v1/tasks/VERB`), if any."""
        if isinstance(self.body, list):
            return self.body
        if isinstance(self.body, dict) and isinstance(self.body.get("results"), list):
            return list(self.body["results"])
        return None

    def problem(self) -> str:
        return f"{self.call} answered {self.status}: {self.text}"


class Door(Protocol):
    """A way in: who acts is a principal's name, the world says where."""

    name: str
    #: The verbs this door has (or must have: a test exists for each, and may fail).
    verbs: tuple[str, ...]
    #: Keys a create answer may hold besides the task's documented fields.
    extras: frozenset[str]

    def create(self, world: World, who: str, request: dict[str, Any]) -> Answer: ...

    def verb(self, world: World, who: str, verb: str, task_id: str) -> Answer:
        """Run `verb` on one task; `undo` is a rejection through the door, then its undo."""

    def undo(self, world: World, who: str, batch_id: str) -> Answer:
        """Undo a batch (a door without undo for any batch raises NotImplementedError)."""

    def document(self, answer: Answer) -> dict[str, Any] | None: ...


class Cli:
    """The real typer app, in process (CliRunner), with `--json`."""

    name = "cli"
    verbs: tuple[str, ...] = ALL_VERBS
    extras = frozenset({"created", "prediction"})
    FLAGS: ClassVar[dict[str, str]] = {
        "marketplace": "-m", "title": "-t", "description": "-d", "category": "-c",
        "priority": "-p", "estimated_hours": "-e", "created_by": "--created-by",
        "metadata": "--metadata", "idempotency_key": "--idempotency-key", "due_date": "--due",
        "listing_id": "--listing", "source_type": "--source-type", "plan_id": "--plan",
        "reason_code": "--reason-code", "reason": "--reason", "to": "--to",
        "actual_hours": "--actual-hours", "note": "--note"}

    def run(self, world: World, who: str, *args: str) -> Answer:
        done = MpoRunner()(*args, "--json", env=world.env(who))
        body = json.loads(done.stdout) if done.exit_code == 0 and done.stdout.strip() else None
        lines = done.stderr.strip().splitlines()
        command = " ".join(args[:2]) if args[0] in ("campaign", "template") else args[0]
        return Answer(f"mpo {command}", done.exit_code == 0, done.exit_code, body,
                      lines[-1] if lines else "")

    def options(self, values: dict[str, Any]) -> list[str]:
        args: list[str] = []
        for key, value in values.items():
            for one in value if key == "tags" else [value]:
                args += ["--tag" if key == "tags" else self.FLAGS[key],
                         json.dumps(one) if isinstance(one, dict) else str(one)]
        return args

    def create(self, world: World, who: str, request: dict[str, Any]) -> Answer:
        return self.run(world, who, "create", *self.options(request))

    def verb(self, world: World, who: str, verb: str, task_id: str) -> Answer:
        if verb == "undo":
            return _decide_and_undo(self, world, who, task_id)
        return self.run(world, who, verb, task_id, *self.options(PARAMS[verb]))

    def undo(self, world: World, who: str, batch_id: str) -> Answer:
        return self.run(world, who, "undo", batch_id)

    def document(self, answer: Answer) -> dict[str, Any] | None:
        return answer.body if isinstance(answer.body, dict) else None


def _decide_and_undo(door: Door, world: World, who: str, task_id: str) -> Answer:
    """A rejection through `door`, then its undo through `door`."""
    decided = door.verb(world, who, "reject", task_id)
    if not decided.ok or not decided.results:
        return decided
    return door.undo(world, who, decided.results[0]["batch_id"])


def answer_of(call: str, response: httpx.Response) -> Answer:
    try:
        body = response.json()
    except ValueError:
        body = None
    text = response.text[:300] if response.is_error else ""
    return Answer(call, not response.is_error, response.status_code, body, text)


class V1:
    """`POST /api/v1/tasks` and `POST /api/v1/tasks/{verb}` on the running server."""

    name = "http_v1"
    verbs: tuple[str, ...] = ALL_VERBS
    extras = frozenset({"created"})

    def create(self, world: World, who: str, request: dict[str, Any]) -> Answer:
        path = "/api/v1/tasks"
        return answer_of(f"POST {path}", world.http(who).post(path, json=request))

    def verb(self, world: World, who: str, verb: str, task_id: str) -> Answer:
        if verb == "undo":
            return _decide_and_undo(self, world, who, task_id)
        path = f"/api/v1/tasks/{verb}"
        body = {"ids": [task_id], **PARAMS[verb]}
        return answer_of(f"POST {path}", world.http(who).post(path, json=body))

    def undo(self, world: World, who: str, batch_id: str) -> Answer:
        """The body names the batch as `mpo undo BATCH_ID|EVENT_ID` does (`ref`)."""
        path = "/api/v1/tasks/undo"
        return answer_of(f"POST {path}",
                       world.http(who).post(path, json={"ref": batch_id}))

    def document(self, answer: Answer) -> dict[str, Any] | None:
        return answer.body if isinstance(answer.body, dict) and "id" in answer.body else None


def camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def snake(key: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), key)


class Seed:
    """The seed's `/api/orchestration/tasks` endpoints (camelCase), where it has the verb."""

    name = "http_seed"
    verbs: tuple[str, ...] = ("create", "approve", "reject", "assign", "complete")
    extras: frozenset[str] = frozenset()
    TASKS = "/api/orchestration/tasks"

    def create(self, world: World, who: str, request: dict[str, Any]) -> Answer:
        body = {camel(k): v for k, v in request.items() if k != "idempotency_key"}
        headers = {"Idempotency-Key": request["idempotency_key"]} \
            if "idempotency_key" in request else {}
        response = world.http(who).post(self.TASKS, json=body, headers=headers)
        return answer_of(f"POST {self.TASKS}", response)

    def verb(self, world: World, who: str, verb: str, task_id: str) -> Answer:
        values = PARAMS[verb]
        body: dict[str, Any] = {
            "approve": {"taskIds": [task_id], "approved": True},
            "reject": {"taskIds": [task_id], "approved": False, "reason": values.get("reason")},
            "assign": {"taskId": task_id, "assignedTo": values.get("to")},
            "complete": {"taskId": task_id, "actualHours": values.get("actual_hours"),
                         "notes": values.get("note")},
        }[verb]
        path = f"{self.TASKS}/{'approve' if verb == 'reject' else verb}"
        return answer_of(f"PATCH {path}", world.http(who).patch(path, json=body))

    def undo(self, world: World, who: str, batch_id: str) -> Answer:
        raise NotImplementedError("the seed has no undo")

    def document(self, answer: Answer) -> dict[str, Any] | None:
        """The seed's MarketplaceTask in mpo's spelling: snake_case, accuracy a fraction."""
        if not isinstance(answer.body, dict):
            return None
        task = answer.body.get("task") or (answer.body.get("tasks") or [None])[0]
        if not isinstance(task, dict):
            return None
        found = {snake(k): v for k, v in task.items()}
        if isinstance(found.get("accuracy"), int | float):
            found["accuracy"] = found["accuracy"] / 100
        return found


Script = Callable[[Any, Any], Awaitable[None]]


class Tui:
    """`mpo review` in a headless terminal (Textual's pilot), built as the command builds
    it: the context of the environment (database, token, config), hooks and plugins."""

    name = "tui"
    verbs: tuple[str, ...] = ("approve", "reject", "undo")
    extras: frozenset[str] = frozenset()

    def review(self, world: World, who: str, script: Script) -> Answer:
        from mpo.cli.context import AppContext
        from mpo.tui.review import ReviewApp

        with pytest.MonkeyPatch.context() as patch:
            for key, value in world.env(who).items():
                patch.setenv(key, value)
            context = AppContext()
            app = ReviewApp(context.database, context.actor, context.rules)

            async def main() -> None:
                async with app.run_test(size=(100, 30)) as pilot:
                    await pilot.pause()
                    await script(app, pilot)
                    await pilot.pause()

            asyncio.run(main())
            context.database.engine.dispose()
        errors = [n.message for n in app._notifications if n.severity == "error"]
        return Answer("mpo review", not errors, 1 if errors else 0, None, "; ".join(errors))

    def create(self, world: World, who: str, request: dict[str, Any]) -> Answer:
        raise NotImplementedError("mpo review creates nothing")

    def verb(self, world: World, who: str, verb: str, task_id: str) -> Answer:
        async def script(app: Any, pilot: Any) -> None:
            await pilot.press("slash", *task_id[:8], "enter")  # the filter finds the task
            if verb == "approve":
                await pilot.press("a")
                return
            await pilot.press("r")
            await pilot.pause()
            # "other", the last code, as the seed rejects; then the reason text.
            await pilot.press("end", "enter")
            await pilot.pause()
            await pilot.press(*str(PARAMS["reject"]["reason"]), "enter")
            await pilot.pause()
            if verb == "undo":
                await pilot.press("u")

        return self.review(world, who, script)

    def undo(self, world: World, who: str, batch_id: str) -> Answer:
        raise NotImplementedError("mpo review undoes only its own last decision")

    def document(self, answer: Answer) -> dict[str, Any] | None:
        return None


def _doors() -> dict[str, Door]:
    from tests.doors.mcp_door import Mcp  # builds on this module's Answer and PARAMS

    return {door.name: door for door in (Cli(), V1(), Seed(), Tui(), Mcp())}


DOORS: dict[str, Door] = _doors()


def cases(*verbs: str) -> list[tuple[str, str]]:
    """(door, verb) for every door that has each verb."""
    return [(name, verb) for verb in verbs for name, door in DOORS.items()
            if verb in door.verbs]
