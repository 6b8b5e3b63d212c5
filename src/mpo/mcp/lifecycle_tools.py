"""The lifecycle's tools, one per action of its declaration (`core/domain/lifecycle.py:
SPECS`), generated as the CLI's commands and HTTP's `/api/v1/tasks/{verb}` bodies are: the
arguments are the selection and the action's parameters, the roles those the permission
table gives its verb (with their limits), so a verb declared there appears here. And undo.
"""

from __future__ import annotations

from collections.abc import Callable

from mpo.core.domain import permissions, task_fields
from mpo.core.domain.executors import Order
from mpo.core.domain.lifecycle import SPECS, TERMINAL, ActionSpec
from mpo.core.domain.permissions import Verb
from mpo.core.domain.selection import Selection
from mpo.core.domain.validation import Rules
from mpo.mcp import schemas
from mpo.mcp.caller import Caller
from mpo.mcp.schemas import Schema
from mpo.mcp.tooling import Args, Document, Tool, threaded, tool
from mpo.report.fields import batch_document

BATCH = ('{"action", "batch_id", "dry_run", "changed": N, "results": [one row per task: '
         'id, from_status, to_status, outcome], "skipped": [{item, reason, exit_code}], '
         '"then": [what followed in the same transaction, such as routing]}')


def _field(spec_param_field: str) -> str:
    return spec_param_field.replace("-", "_")


def selection(args: Args) -> Selection:
    """The tasks chosen by ids or filters, as the CLI's selection flags choose them."""
    return Selection(refs=args.strings("ids"), marketplaces=args.strings("marketplace"),
                     priorities=args.strings("priority"), categories=args.strings("category"),
                     created_by=args.strings("created_by"), all=args.flag("all"))


def _properties(spec: ActionSpec) -> Callable[[Rules], Schema]:
    def build(rules: Rules) -> Schema:
        return schemas.selection(rules) | {_field(p.field): schemas.param(p, rules)
                                           for p in spec.params}
    return build


def _returns(spec: ActionSpec) -> str:
    terminal = " (terminal)" if spec.target in TERMINAL else ""
    return (f"{BATCH}. Each task moves from {spec.label()} to {spec.target}{terminal}; a "
            "task in any other status is a CONFLICT (exit 5) and, unless skip_invalid, "
            "nothing changes.")


def _run(spec: ActionSpec) -> Tool:
    from mpo.core.domain.action_values import transition_params

    kinds = {p.name: (int, float, str) if p.kind == "hours" else (str,) for p in spec.params}

    def run(caller: Caller, args: Args) -> Document:
        from mpo.core.usecases.transitions import transition

        given = {p.name: args.get(_field(p.field), kinds[p.name]) for p in spec.params}
        params = transition_params(caller.rules, spec.action, **given)
        return batch_document(transition(
            caller.db, caller.actor, spec.action, selection(args), params, caller.rules,
            dry_run=args.flag("dry_run"), skip_invalid=args.flag("skip_invalid"),
            idempotency_key=args.get("idempotency_key", (str,))))

    required = tuple(_field(p.field) for p in spec.params if p.required)
    return Tool(spec.action, permissions.takers(spec), tuple(permissions.who_may(spec)),
                f"{spec.summary} (-> {spec.target}); `mpo {spec.action}`.", _returns(spec),
                _properties(spec), required, threaded(run))


def _undo(caller: Caller, args: Args) -> Document:
    from mpo.core.usecases.undo import undo

    return batch_document(undo(caller.db, caller.actor, args.get("ref") or "",
                               dry_run=args.flag("dry_run"),
                               idempotency_key=args.get("idempotency_key")))


UNDO = tool(
    "undo", Verb.UNDO, "Put each task of a batch (or one event) back where it was, all or "
    "nothing; `mpo undo`. Only an admin other than a task's proposer may undo its decision.",
    f"{BATCH}, the moves made backwards.",
    lambda rules: {"ref": {"type": "string", "minLength": 1, "description":
                           "A batch id (full UUID) or an event id (a number)."},
                   "dry_run": schemas.flag("Say what would change; change nothing."),
                   "idempotency_key": schemas.selection(rules)["idempotency_key"]},
    _undo, required=("ref",))

def _claim(caller: Caller, args: Args) -> Document:
    from mpo.core.domain.action_values import lease_seconds
    from mpo.core.usecases.claims import claim, claim_query

    query = claim_query(caller.rules, caller.actor,
                        marketplaces=args.get("marketplace", list) or (),
                        categories=args.get("category", list) or (),
                        tags=args.get("tag", list) or (),
                        order=args.get("order") or Order.OLDEST.value)
    lease = args.get("lease")
    task = claim(caller.db, caller.actor, query,
                 lease=None if lease is None else lease_seconds("lease", lease))
    return task_fields.task_row(task)


CLAIM = tool(
    "claim", Verb.CLAIM, "Take the next approved, unassigned task you may execute: assigned "
    "to you, in_progress, with a lease (default 15m) that heartbeat extends; `mpo claim`.",
    "The task claimed, with lease_expires_at. NOT_FOUND (exit 3) when nothing is free now; "
    "complete it before the lease runs out (after that, complete is a CONFLICT, exit 5).",
    lambda rules: {
        "marketplace": schemas.many(schemas.marketplaces(rules, ""), "Only these marketplaces."),
        "category": schemas.many(schemas.categories(""), "Only these categories."),
        "tag": schemas.many({"type": "string", "minLength": 1}, "Only tasks with these tags."),
        "order": schemas.one_of([o.value for o in Order], "Which first (default oldest)."),
        "lease": {"type": "string", "description": "The lease: 90s, 15m, 2h (default 15m)."},
    },
    _claim)

TOOLS: tuple[Tool, ...] = (*(_run(spec) for spec in SPECS if spec.http), UNDO, CLAIM)
