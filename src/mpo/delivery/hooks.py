"""Shell hooks: a configured command per matching event, after the commit.

The event document goes to the command's stdin as JSON, and its id, action and task id to
`MPO_EVENT_ID`, `MPO_EVENT_ACTION`, `MPO_TASK_ID`. A hook that fails or outlives its
timeout is reported on stderr; the verb has already committed and stays done.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import TYPE_CHECKING, Any

from mpo.delivery import payload
from mpo.delivery.plugins import report

if TYPE_CHECKING:
    from mpo.config.events import Hook


def run(hook: Hook, doc: dict[str, Any]) -> bool:
    """Run one hook on one event; True if it exited 0 in time."""
    env = os.environ | {"MPO_EVENT_ID": str(doc["id"]), "MPO_EVENT_ACTION": doc["data"]["action"],
                        "MPO_TASK_ID": doc["data"]["task_id"]}
    try:
        done = subprocess.run(hook.command, shell=True, input=json.dumps(doc), text=True,
                              env=env, timeout=hook.timeout, capture_output=True, check=False)
    except subprocess.TimeoutExpired as exc:
        report(f"hook {hook.command!r} on event {doc['id']}", exc)
        return False
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or [""]
        report(f"hook {hook.command!r} on event {doc['id']}",
               RuntimeError(f"exit {done.returncode} {tail[0]}".rstrip()))
        return False
    return True


def run_matching(hooks: list[Hook], docs: list[dict[str, Any]]) -> None:
    """Run every hook that matches each event, in event order."""
    for doc in docs:
        for hook in hooks:
            if hook.matches(doc["data"]["action"], payload.marketplace(doc)):
                run(hook, doc)
