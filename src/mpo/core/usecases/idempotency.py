"""Retry-safe verbs: an idempotency key names one request of one principal.

A verb given a key claims it in its own transaction, before it writes anything
(`first_result`), and stores its answer there too (`keep`): the verb and its key commit
or roll back together. A retry with the same key and the same request gets the first
answer back, as it was then (the tasks may have moved on since), and changes nothing; the
same key with another request is an `IdempotencyConflict`. A concurrent retry waits for the
first to commit and then gets its answer: never a second effect. A refused request stores
nothing, so its retry is judged afresh.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from mpo.core.domain import validation
from mpo.core.domain.clock import Clock
from mpo.core.domain.errors import ExitCode, IdempotencyConflict, ItemProblem
from mpo.core.domain.permissions import Actor
from mpo.core.domain.results import BatchResult, ItemResult
from mpo.core.domain.vocabulary import Action
from mpo.core.ports import UnitOfWork
from mpo.core.tables.models import Task

#: The field name messages give a bad key (the CLI's `--idempotency-key`, HTTP's header).
FIELD = "idempotency_key"


def checked(key: str | None) -> str | None:
    """A key as given, or why it is unusable (1-200 characters of text)."""
    if key is None:
        return None
    return validation.text(FIELD, key, max_len=validation.KEY_MAX, required=True)


def digest(verb: str, request: Mapping[str, Any]) -> str:
    """The SHA-256 of a request: its verb and everything that decides what it does."""
    canonical = json.dumps({"verb": verb, **request}, sort_keys=True, default=str,
                           separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def first_result(uow: UnitOfWork, actor: Actor, key: str | None, verb: str,
                 request: Mapping[str, Any], clock: Clock) -> BatchResult | None:
    """None when there is no key or this transaction has just claimed it; the first
    answer when the same request used it before; a conflict when another request did."""
    if key is None:
        return None
    wanted = digest(verb, request)
    stored = uow.idempotency.claim(actor.name, key, wanted, clock())
    if stored is None:
        return None
    if stored.request_hash != wanted or stored.response is None:
        first = (stored.response or {}).get("action", "another verb")
        raise IdempotencyConflict(
            f"idempotency key {key!r} was used for a different request ({first} at "
            f"{stored.created_at.isoformat(timespec='seconds')}); use a new key")
    return decode(stored.response)


def keep(uow: UnitOfWork, actor: Actor, key: str | None, result: BatchResult) -> None:
    """Store a verb's answer under the key it claimed (inside the verb's transaction)."""
    if key is not None:
        uow.idempotency.answer(actor.name, key, encode(result))


def encode(result: BatchResult) -> dict[str, Any]:
    """A result as JSON: each task whole, as the verb returned it."""
    return {
        "action": str(result.action), "batch_id": str(result.batch_id),
        "items": [{"task": i.task.model_dump(mode="json"), "from": i.from_status,
                   "to": i.to_status, "outcome": i.outcome, "detail": i.detail}
                  for i in result.items],
        "skipped": [[p.item, p.reason, int(p.exit_code)] for p in result.skipped],
        "then": [encode(r) for r in result.then],
    }


def decode(stored: Mapping[str, Any]) -> BatchResult:
    """The result `encode` stored, marked as replayed."""
    action = stored["action"]
    return BatchResult(
        Action(action) if action in Action.__members__.values() else action,
        uuid.UUID(stored["batch_id"]), False,
        [ItemResult(_task(i["task"]), i["from"], i["to"], i["outcome"], i["detail"])
         for i in stored["items"]],
        [ItemProblem(item, reason, ExitCode(code)) for item, reason, code in stored["skipped"]],
        [decode(r) for r in stored["then"]], replayed=True)


def _task(values: dict[str, Any]) -> Task:
    task = Task.model_validate(values)
    for name, value in list(vars(task).items()):
        if isinstance(value, datetime):
            setattr(task, name, value.astimezone(UTC))
    return task
