"""The reject dialog: a reason code from the configured list, and optional free text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList

#: What the dialog answers: (reason code, free text or None), or None when cancelled.
Answer = tuple[str, str | None] | None


class RejectScreen(ModalScreen[Answer]):
    """Pick a reason code (arrows, Enter), type an optional reason, Enter rejects."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, codes: Sequence[str], count: int) -> None:
        super().__init__()
        self.codes = tuple(codes)
        self.count = count

    def compose(self) -> ComposeResult:
        with Vertical(id="reject"):
            noun = "task" if self.count == 1 else "tasks"
            yield Label(f"Reject {self.count} {noun}: reason code (Enter), Esc cancels")
            yield OptionList(*self.codes, id="codes")
            yield Label("Reason (optional), Enter rejects:")
            yield Input(placeholder="free text for the audit log", id="reason")

    def on_mount(self) -> None:
        codes = self.query_one("#codes", OptionList)
        codes.highlighted = 0
        codes.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one("#reason", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        index = self.query_one("#codes", OptionList).highlighted or 0
        self.dismiss((self.codes[index], event.value.strip() or None))

    def action_cancel(self) -> None:
        self.dismiss(None)
