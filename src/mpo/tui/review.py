"""`mpo review`: the approval queue as a keyboard-driven terminal app.

Decisions go through `mpo.core.usecases.review.decide`, which is `mpo approve`/`mpo reject`'s use
case: the same audit events, permissions and all-or-nothing batches.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, VerticalScroll
from textual.widgets import Footer, Header, Input, OptionList, Static

from mpo.core.domain.clock import utcnow
from mpo.core.domain.errors import MpoError
from mpo.core.domain.vocabulary import Action
from mpo.core.usecases.review import Queue, Rate, decide, load_queue
from mpo.core.usecases.undo import undo
from mpo.tui import queue_view
from mpo.tui.detail import describe
from mpo.tui.queue_view import GROUPINGS
from mpo.tui.reject import Answer, RejectScreen

if TYPE_CHECKING:
    from textual.events import Resize

    from mpo.core.domain.permissions import Actor
    from mpo.core.domain.validation import Rules
    from mpo.core.ports import Database
    from mpo.core.tables.models import Task

#: From this many columns the details sit beside the queue instead of under it.
SIDE_BY_SIDE = 120


class ReviewApp(App[None]):
    """The queue on top (or left), the highlighted task's details below (or right)."""

    CSS_PATH = "review.tcss"
    TITLE = "mpo review"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "approve", "Approve"),
        Binding("r", "reject", "Reject"),
        Binding("s", "skip", "Skip"),
        Binding("space", "mark", "Mark+next", key_display="␣"),
        Binding("asterisk", "mark_all", "All"),
        Binding("slash", "filter", "Filter"),
        Binding("g", "group", "Group"),
        Binding("u", "undo", "Undo"),
        Binding("R", "reload", "Reload", show=False),
        Binding("escape", "clear_filter", show=False),
        Binding("j", "down", show=False),
        Binding("k", "up", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, db: Database, actor: Actor, rules: Rules, *,
                 marketplaces: Sequence[str] = (), grouping: str = "marketplace",
                 team: str | None = None) -> None:
        super().__init__()
        self.db, self.actor, self.rules, self.team = db, actor, rules, team
        self.marketplaces = tuple(marketplaces)
        self.grouping = grouping
        self.tasks: dict[uuid.UUID, Task] = {}
        self.rates: dict[str, Rate] = {}
        self.marked: set[uuid.UUID] = set()
        self.filter_text = ""
        #: The batch of the last decision, for undo (issue 13's use case).
        self.last_batch: uuid.UUID | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Container(id="body"):
            yield OptionList(id="queue")
            with VerticalScroll(id="detail-pane"):
                yield Static(id="detail")
        yield Static(id="status")
        yield Input(placeholder="filter: words in the title, description, tags or id",
                    id="filter")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.action_reload()
        self.query_one("#queue", OptionList).focus()

    def on_resize(self, event: Resize) -> None:
        self.query_one("#body").set_class(event.size.width >= SIDE_BY_SIDE, "wide")
        self.call_after_refresh(self._rebuild)

    # --- the queue --------------------------------------------------------------------

    def action_reload(self) -> None:
        """Read the queue again (another admin may have decided some of it)."""
        try:
            queue: Queue = load_queue(self.db, self.actor, self.rules,
                                      marketplaces=self.marketplaces, team=self.team)
        except MpoError as exc:
            self.notify(exc.message, severity="error")
            return
        self.tasks = {t.id: t for t in queue.tasks}
        self.rates = queue.rates
        self.marked &= set(self.tasks)
        self._rebuild()

    def shown_tasks(self) -> list[Task]:
        """The tasks the filter lets through, in group order, oldest first in a group."""
        return queue_view.shown(self.tasks.values(), self.filter_text, self.grouping)

    def _rebuild(self, keep: uuid.UUID | None = None) -> None:
        queue = self.query_one("#queue", OptionList)
        current = keep or self.current_id()
        old_index = queue.highlighted or 0
        shown = self.shown_tasks()
        options = queue_view.options(shown, self.grouping, self.marked,
                                     queue.scrollable_content_region.width)
        queue.set_options(options)
        queue.highlighted = queue_view.highlight(options, current, old_index)
        self._show_detail()
        self._show_status(len(shown))

    def current_id(self) -> uuid.UUID | None:
        """The highlighted task, if any."""
        option = self.query_one("#queue", OptionList).highlighted_option
        return uuid.UUID(option.id) if option is not None and option.id else None

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_detail()

    def _show_status(self, shown: int) -> None:
        parts = [f"{len(self.tasks)} awaiting"]
        if shown != len(self.tasks):
            parts.append(f"{shown} shown")
        if self.marked:
            parts.append(f"{len(self.marked)} marked")
        parts.append(f"by {self.grouping}")
        if self.filter_text:
            parts.append(f"filter: {self.filter_text}")
        self.query_one("#status", Static).update(Text(" · ".join(parts)))
        self.sub_title = f"{len(self.tasks)} awaiting approval"

    def _show_detail(self) -> None:
        detail = self.query_one("#detail", Static)
        task_id = self.current_id()
        task = self.tasks.get(task_id) if task_id else None
        if task is None:
            empty = "The queue is empty." if not self.tasks else "No task selected."
            detail.update(Text(empty))
            return
        detail.update(describe(task, self.rates.get(task.created_by), utcnow()))

    # --- moving -----------------------------------------------------------------------

    def action_down(self) -> None:
        self.query_one("#queue", OptionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one("#queue", OptionList).action_cursor_up()

    def action_skip(self) -> None:
        """Leave the task as it is and go to the next one."""
        self.action_down()

    def action_group(self) -> None:
        names = list(GROUPINGS)
        self.grouping = names[(names.index(self.grouping) + 1) % len(names)]
        self._rebuild()

    def action_mark(self) -> None:
        """Mark or unmark the highlighted task, then go to the next (docs/review.md)."""
        task_id = self.current_id()
        if task_id is None:
            return
        self.marked ^= {task_id}
        self._rebuild(keep=task_id)
        self.action_down()

    def action_mark_all(self) -> None:
        """Mark every task shown; if all are marked already, clear the marks."""
        shown = {t.id for t in self.shown_tasks()}
        self.marked = self.marked - shown if shown <= self.marked else self.marked | shown
        self._rebuild()

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.filter_text = event.value.strip()
            self._rebuild()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "filter":
            self._close_filter()

    def action_clear_filter(self) -> None:
        """Escape: drop the filter and go back to the queue."""
        box = self.query_one("#filter", Input)
        if box.display:
            box.value = ""
            self._close_filter()

    def _close_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = bool(box.value)
        self.query_one("#queue", OptionList).focus()

    # --- deciding ---------------------------------------------------------------------

    def chosen(self) -> list[uuid.UUID]:
        """What a decision applies to: the marked tasks, else the highlighted one."""
        if self.marked:
            return [t.id for t in self.shown_tasks() if t.id in self.marked] + [
                i for i in self.marked if i not in {t.id for t in self.shown_tasks()}]
        current = self.current_id()
        return [current] if current is not None else []

    def action_approve(self) -> None:
        self._decide(Action.APPROVE)

    def action_reject(self) -> None:
        ids = self.chosen()
        if not ids:
            return

        def answered(answer: Answer) -> None:
            if answer is not None:
                self._decide(Action.REJECT, ids, reason_code=answer[0], reason=answer[1])

        self.push_screen(RejectScreen(self.rules.rejection_codes, len(ids)), answered)

    def _decide(self, action: Action, ids: list[uuid.UUID] | None = None, *,
                reason_code: str | None = None, reason: str | None = None) -> None:
        ids = self.chosen() if ids is None else ids
        if not ids:
            return
        try:
            result = decide(self.db, self.actor, self.rules, action, ids,
                            reason_code=reason_code, reason=reason)
        except MpoError as exc:
            self.notify(f"nothing changed: {exc.message}", severity="error", timeout=8)
            return
        for task_id in result.task_ids:
            self.tasks.pop(task_id, None)
        self.marked -= set(ids)
        self.last_batch = result.batch_id
        done = "approved" if action is Action.APPROVE else "rejected"
        count = len(result.task_ids)
        self.notify(f"{done} {count} task{'s' if count != 1 else ''}, "
                    f"batch {result.batch_id}")
        self.action_reload()  # the agents' approval rates changed with the decision

    def action_undo(self) -> None:
        """Undo the last decision (`mpo undo BATCH_ID`'s use case): its tasks go back to
        the queue, all or nothing, recorded as new events; then the queue is read again."""
        if self.last_batch is None:
            self.notify("nothing to undo")
            return
        try:
            result = undo(self.db, self.actor, str(self.last_batch))
        except MpoError as exc:
            self.notify(f"nothing undone: {exc.message}", severity="error", timeout=8)
            return
        self.last_batch = None
        count = len(result.items)
        self.notify(f"undid {count} task{'s' if count != 1 else ''}, batch {result.batch_id}")
        self.action_reload()
