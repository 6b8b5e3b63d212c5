"""One action of the lifecycle as data (`ActionSpec`) and the values it carries (`Param`);
the table of them is `mpo.core.domain.lifecycle.SPECS`."""

from __future__ import annotations

from dataclasses import dataclass

from mpo.core.domain.vocabulary import Status

#: How a stamped column gets its value (besides a parameter's name, `param:NAME`).
NOW = "now"  # the transaction's clock
ACTOR = "actor"  # the acting principal's name
KEPT_OR_ACTOR = "kept_or_actor"  # the task's assignee, else the acting principal
CLEARED = "cleared"  # NULL again (a task given back)
LEASE = "lease"  # the clock plus the lease the action carries (`param:lease`, default 15m)
#: What an action needs of the task's lease (`ActionSpec.lease`).
LIVE = "live"  # none, or one that has not run out: a lost lease cannot report work
EXPIRED = "expired"  # one that has run out


@dataclass(frozen=True)
class Param:
    """A value an action carries: its name in the core, its field name at the doors
    (`--reason-code`, `reason_code`), how it is checked, and a short help."""

    name: str
    field: str
    kind: str  # text | code | name | hours | duration
    help: str
    required: bool = False
    #: For `code`: the `Rules` attribute listing the allowed codes.
    codes: str | None = None
    #: How a refusal names it when it is missing: `a reason code (--reason-code)`.
    need: str = ""


NOTE = Param("note", "note", "text", "Why, for the audit log.")
REASON = Param("reason", "reason", "text", "Free text.")


@dataclass(frozen=True)
class ActionSpec:
    """One action of the lifecycle, declared once (see the module docstring)."""

    action: str
    sources: frozenset[str]
    target: str
    #: The permission-table verb that allows it.
    verb: str
    params: tuple[Param, ...] = ()
    #: Task column -> NOW | ACTOR | KEPT_OR_ACTOR | `param:NAME`.
    stamps: tuple[tuple[str, str], ...] = ()
    #: Event payload key -> parameter name.
    payload: tuple[tuple[str, str], ...] = ()
    #: Parameters whose first non-empty value is the event's `reason`.
    reason: tuple[str, ...] = ("note",)
    #: Separation of duties: the task's proposer may not take it.
    not_by_proposer: bool = False
    #: Roles that may take it beyond what the permission table says (custom workflows).
    roles: frozenset[str] | None = None
    #: Must the actor differ from the task's assignee (custom workflows)?
    not_by_assignee: bool = False
    summary: str = ""
    done: str = ""
    #: LIVE, EXPIRED or "" (the lease does not matter).
    lease: str = ""
    #: May `mpo undo` take it back? (Giving work back and lease bookkeeping may not.)
    undoable: bool = True
    #: Generated as a batch verb at the CLI / over HTTP? (`claim` and `note` have commands
    #: of their own; `lease_expired` is taken by claims and `mpo expire`, no door.)
    cli: bool = True
    http: bool = True

    @property
    def columns(self) -> tuple[str, ...]:
        """The task columns this action stamps (which its undo clears again)."""
        return tuple(column for column, _ in self.stamps)

    def label(self) -> str:
        """The source statuses, for messages: `pending, awaiting_approval`."""
        order = {s.value: n for n, s in enumerate(Status)}
        return ", ".join(sorted(self.sources, key=lambda s: (order.get(s, len(order)), s)))

    def param(self, name: str) -> Param | None:
        """The declared parameter `name`, if the action carries it."""
        return next((p for p in self.params if p.name == name), None)
