"""One error hierarchy; each class carries its exit code, translated once at the CLI root.
`mpo serve` maps the classes to HTTP statuses itself (`mpo.http.problems.status_of`): the
domain knows nothing of HTTP.

`docs/exit-codes.md` mirrors `ExitCode`; a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """The process exit codes every mpo command uses."""

    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    NOT_FOUND = 3
    AUTH = 4
    CONFLICT = 5
    DATABASE = 6
    CANCELLED = 7
    TIMEOUT = 8
    DECLINED = 9
    ALERT = 10
    PARTIAL = 11
    NOTHING_APPLIED = 12


class MpoError(Exception):
    """Base of every error mpo reports to a user: a one-line message and an exit code."""

    exit_code: ExitCode = ExitCode.UNEXPECTED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(MpoError):
    """Input that breaks a rule: names the field and what is allowed."""

    exit_code = ExitCode.USAGE

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class UsageError(MpoError):
    """A command line that cannot be carried out as given."""

    exit_code = ExitCode.USAGE


class NotFound(MpoError):
    """No task, event or principal matches what was asked for."""

    exit_code = ExitCode.NOT_FOUND


class AmbiguousId(MpoError):
    """An id prefix that matches more than one task."""

    exit_code = ExitCode.USAGE


class AuthError(MpoError):
    """Missing, wrong or revoked credentials."""

    exit_code = ExitCode.AUTH


class PermissionDenied(MpoError):
    """The principal is known but may not do this."""

    exit_code = ExitCode.AUTH


class Conflict(MpoError):
    """The request contradicts what the database holds (state, idempotency key, ...)."""

    exit_code = ExitCode.CONFLICT


class InvalidTransition(Conflict):
    """A task is not in a state the requested action can leave from."""


class IdempotencyConflict(Conflict):
    """An idempotency key reused with different content."""


class RateLimited(Conflict):
    """A principal asked for more than its configured rate allows; says when to retry."""


    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DatabaseError(MpoError):
    """The database is busy, unreachable or not initialised."""

    exit_code = ExitCode.DATABASE


class Cancelled(MpoError):
    """The person at the terminal said no, or interrupted the command: nothing changed."""

    exit_code = ExitCode.CANCELLED


class TimedOut(MpoError):
    """A wait ran out of time before the tasks reached the state waited for."""

    exit_code = ExitCode.TIMEOUT


class Declined(MpoError):
    """A wait ended with a task rejected or cancelled, not in the state waited for."""

    exit_code = ExitCode.DECLINED


class AlertFired(MpoError):
    """A check found at least one alert (for cron and monitors that page)."""

    exit_code = ExitCode.ALERT


class PartlyFailed(MpoError):
    """Some of many independent items failed (templates in a tick, channels of a
    notification); the others were done. Each failure has been named already."""

    exit_code = ExitCode.PARTIAL


class NothingApplied(MpoError):
    """`--skip-invalid` skipped every item: nothing changed, which a script must tell from
    a batch that applied (0) without parsing stderr."""

    exit_code = ExitCode.NOTHING_APPLIED


class ConfigError(MpoError):
    """The configuration file or a configuration value is unusable."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class ItemProblem:
    """Why one item of a batch (an id, a line of input) cannot be applied."""

    item: str
    reason: str
    exit_code: ExitCode


#: A rejected batch names this many problems and counts the rest: 10,000 bad NDJSON lines
#: once made an 800 KB error line (issue 11, defect 5).
PROBLEMS_SHOWN = 20


class BatchRejected(MpoError):
    """A batch in which some items are invalid; nothing was applied.

    Its exit code is the one its problems share, or CONFLICT when they differ.
    """

    def __init__(self, action: str, problems: list[ItemProblem], *,
                 skippable: bool = True) -> None:
        noun = "item" if len(problems) == 1 else "items"
        details = "; ".join(f"{p.item}: {p.reason}" for p in problems[:PROBLEMS_SHOWN])
        if len(problems) > PROBLEMS_SHOWN:
            details += f"; and {len(problems) - PROBLEMS_SHOWN} more"
        super().__init__(
            f"{action}: {len(problems)} invalid {noun}, nothing changed"
            + (" (use --skip-invalid to apply the rest)" if skippable else "") + f": {details}"
        )
        self.problems = problems
        codes = {p.exit_code for p in problems}
        self.exit_code = codes.pop() if len(codes) == 1 else ExitCode.CONFLICT

