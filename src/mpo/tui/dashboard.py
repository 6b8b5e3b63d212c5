"""`mpo dashboard`: the pipeline at a glance, for a wall screen or a morning look.

Every `interval` seconds it reads the change marker (one index probe) and reads the
aggregates again only when the marker moved.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid
from textual.widgets import Footer, Header, Static

from mpo.core.domain.clock import utcnow
from mpo.core.domain.dashboard_snapshot import Snapshot
from mpo.core.domain.errors import MpoError
from mpo.core.domain.vocabulary import Status, values
from mpo.core.usecases.dashboard import DAYS, marker, snapshot

if TYPE_CHECKING:
    from mpo.core.domain.permissions import Actor
    from mpo.core.ports import Database

BAR = 18
#: How much of an agent's name the agents panel shows (longer ones end in "…").
NAME = 24
PANELS = (("pipeline", "pipeline"), ("awaiting", "awaiting, by marketplace"),
          ("approvals", "approvals per day"), ("agents", "agents' last proposal"))


class DashboardApp(App[None]):
    """Four panels and a line for the oldest proposal; q or Ctrl-C quits."""

    CSS_PATH = "dashboard.tcss"
    TITLE = "mpo dashboard"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(self, db: Database, actor: Actor, *, zone: str = "UTC",
                 interval: float = 2.0, team: str | None = None) -> None:
        super().__init__()
        self.db, self.actor, self.zone, self.interval = db, actor, zone, interval
        self.team = team
        self.snapshot: Snapshot | None = None
        #: How many times the aggregates were read (the marker is read every tick).
        self.reads = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Grid(id="panels"):
            for name, title in PANELS:
                panel = Static(id=name)
                panel.border_title = title
                yield panel
        yield Static(id="oldest")
        yield Footer()

    def on_mount(self) -> None:
        self.call_after_refresh(self.poll)  # once the panels know their width
        self.set_interval(self.interval, self.poll)

    def on_resize(self) -> None:
        if self.snapshot is not None:
            self.call_after_refresh(self._render)

    def poll(self) -> None:
        """Read the aggregates again if the database changed since the last read."""
        try:
            if self.snapshot is not None and marker(self.db, self.actor) == self.snapshot.marker:
                self._oldest(utcnow())  # only the waiting time moved
                return
            self.snapshot = snapshot(self.db, self.actor, zone=self.zone, team=self.team)
        except MpoError as exc:
            self.notify(exc.message, severity="error")
            return
        self.reads += 1
        self._render()

    def _render(self) -> None:
        shot = self.snapshot
        assert shot is not None
        now = utcnow()
        width = self.query_one("#pipeline", Static).content_region.width
        self.query_one("#pipeline", Static).update(
            bars([(s.value, shot.statuses.get(s.value, 0)) for s in Status]
                 + [(name, n) for name, n in shot.statuses.items() if name not in values(Status)],
                 width))
        self.query_one("#awaiting", Static).update(
            bars(sorted(shot.awaiting.items(), key=lambda kv: -kv[1]), width)
            if shot.awaiting else Text("nothing awaits approval"))
        self.query_one("#approvals", Static).update(
            bars([(d.strftime("%a %m-%d"), n) for d, n in shot.approvals], width))
        agents = Text()
        for name, at in shot.agents[:8]:
            label = name if len(name) <= NAME else name[:NAME - 1] + "…"
            agents.append(f"{label:<{NAME}} {ago(at, now) if at else f'over {DAYS} d'}\n")
        self.query_one("#agents", Static).update(
            agents if shot.agents else Text(f"no proposals in the last {DAYS} days"))
        self._oldest(now)
        self.sub_title = f"{sum(shot.statuses.values())} tasks"

    def _oldest(self, now: datetime) -> None:
        shot = self.snapshot
        line = Text("oldest waiting: ")
        if shot is None or shot.oldest is None:
            line.append("none")
        else:
            o = shot.oldest
            line.append(f"{str(o.task_id)[:8]} {o.marketplace}, waiting {ago(o.since, now)}: ")
            line.append(o.title)
        line.no_wrap, line.overflow = True, "ellipsis"
        oldest = self.query_one("#oldest", Static)
        width = oldest.content_region.width or self.size.width
        line.truncate(max(width, 1), overflow="ellipsis")  # cut, visibly
        oldest.update(line)


def bars(rows: list[tuple[str, int]], width: int) -> Text:
    """Labelled horizontal bars scaled to the largest value, each on one line of `width`."""
    top = max((n for _, n in rows), default=0) or 1
    label_width = max((len(label) for label, _ in rows), default=0)
    room = max(min(BAR, width - label_width - 9), 1)
    text = Text()
    for label, n in rows:
        text.append(f"{label:<{label_width}} {n:>7} ")
        text.append("█" * round(room * n / top) + "\n", style="bold")
    return text


def ago(moment: datetime, now: datetime) -> str:
    """A short age: 42 s, 5 min, 3 h, 2 d."""
    seconds = max((now - moment).total_seconds(), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size:.0f} {unit}"
    return f"{seconds:.0f} s"
