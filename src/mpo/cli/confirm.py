"""Large batches ask first, like gh: on a terminal a prompt, without one `--yes` is required
(a script that selects more than it meant to stops instead of applying it; issue 11)."""

from __future__ import annotations

import typer

from mpo.core.domain.errors import UsageError
from mpo.core.domain.selection import Selection


def may_exceed(selection: Selection, threshold: int) -> bool:
    """Whether the selection could hold more than `threshold` tasks (each id names one)."""
    return selection.by_filter or len(selection.refs) > threshold


def large_batch(action: str, count: int, threshold: int, *, can_prompt: bool) -> bool:
    """Whether a batch of `count` was confirmed at a prompt; refused without a terminal.

    Answering no exits 7 (cancelled); a batch within the threshold needs nothing."""
    if count <= threshold:
        return False
    if not can_prompt:
        raise UsageError(f"{action}: {count} tasks is more than confirm_over ({threshold}) and "
                         "there is no terminal to ask; pass --yes to apply them")
    typer.confirm(f"{action} {count} tasks?", abort=True, err=True)
    return True
