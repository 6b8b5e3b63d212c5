"""`mpo notify`: the daily "approval needed" digest, per channel, at most once a day.

A digest is due on a channel once the local time passes the digest time, outside the
channel's quiet hours, when tasks await approval. Each (channel, day) is claimed in the
database before sending, so running `mpo notify` twice (or on two machines) sends once;
a failed send gives the claim back for the next run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from mpo.core.domain import permissions
from mpo.core.domain.clock import utcnow
from mpo.core.domain.permissions import Actor, Verb
from mpo.core.domain.selection import TaskQuery
from mpo.core.domain.vocabulary import Status
from mpo.core.ports import Database
from mpo.core.usecases.identity import refusals_recorded

#: Sends one message on one channel; raises if it could not.
Send = Callable[[str, str, str], None]


@dataclass(frozen=True)
class Target:
    """A channel by name, and its quiet hours (local; None for none)."""

    name: str
    quiet: tuple[time, time] | None


@dataclass(frozen=True)
class Backlog:
    """The tasks awaiting approval in one marketplace."""

    marketplace: str
    count: int
    oldest: datetime


@dataclass(frozen=True)
class Outcome:
    """What `notify` did on one channel: sent, quiet, early, nothing, already or failed."""

    channel: str
    outcome: str
    detail: str = ""


def in_quiet(now: time, span: tuple[time, time] | None) -> bool:
    """Whether `now` falls in a quiet span, which may wrap past midnight (22:00-08:00)."""
    if span is None:
        return False
    start, end = span
    return start <= now < end if start <= end else now >= start or now < end


def backlog(db: Database, actor: Actor) -> list[Backlog]:
    """The tasks awaiting approval, per marketplace, with the oldest's submission time."""
    with db.read() as uow:
        waiting = uow.tasks.find(permissions.scope(
            actor, TaskQuery(statuses=(Status.AWAITING_APPROVAL.value,))))
    found: dict[str, Backlog] = {}
    for task in waiting:
        since = task.submitted_at or task.created_at
        old = found.get(task.marketplace)
        found[task.marketplace] = Backlog(
            task.marketplace, (old.count if old else 0) + 1,
            min(since, old.oldest) if old else since)
    return sorted(found.values(), key=lambda b: (-b.count, b.marketplace))


def _age(seconds: float) -> str:
    hours, minutes = int(seconds // 3600), int(seconds % 3600) // 60
    return f"{hours // 24}d {hours % 24}h" if hours >= 24 else f"{hours}h {minutes}m"


def digest_text(items: Sequence[Backlog], now: datetime,
                queue_url: str | None = None) -> tuple[str, str]:
    """The digest's subject and body: it leads to the web queue when its address is known."""
    total = sum(b.count for b in items)
    subject = f"mpo: {total} task{'s' if total != 1 else ''} awaiting approval"
    lines = [f"{b.marketplace}: {b.count} awaiting, oldest waiting "
             f"{_age((now - b.oldest).total_seconds())}" for b in items]
    review = queue_url or "mpo list --status awaiting_approval"
    return subject, "\n".join([subject, "", *lines, "", f"Review: {review}"]) + "\n"


def notify(
    db: Database,
    actor: Actor,
    targets: Sequence[Target],
    send: Send,
    *,
    zone: ZoneInfo,
    digest_time: time,
    queue_url: str | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> list[Outcome]:
    """Send the day's approval digest to each channel where it is due."""
    with refusals_recorded(db, actor, Verb.NOTIFY):
        permissions.require(actor, Verb.NOTIFY)
        now = clock()
        local = now.astimezone(zone)
        period = f"digest:{local.date().isoformat()}"
        items = backlog(db, actor)
        subject, body = digest_text(items, now, queue_url)
        outcomes = []
        for target in targets:
            if local.time() < digest_time:
                outcomes.append(Outcome(target.name, "early", f"digest at {digest_time:%H:%M}"))
            elif in_quiet(local.time(), target.quiet):
                outcomes.append(Outcome(target.name, "quiet"))
            elif not items:
                outcomes.append(Outcome(target.name, "nothing", "no task awaits approval"))
            else:
                outcomes.append(_send_once(db, target.name, period, subject, body, send, now))
        return outcomes


def _send_once(db: Database, channel: str, period: str, subject: str, body: str,
               send: Send, now: datetime) -> Outcome:
    with db.write() as uow:
        claimed = uow.notifications.claim(channel, period, now)
        uow.commit()
    if not claimed:
        return Outcome(channel, "already", period)
    try:
        send(channel, subject, body)
    except Exception as exc:  # a channel that fails is reported; the next run retries
        with db.write() as uow:
            uow.notifications.release(channel, period)
            uow.commit()
        return Outcome(channel, "failed", f"{type(exc).__name__}: {exc}".splitlines()[0])
    return Outcome(channel, "sent", subject)
