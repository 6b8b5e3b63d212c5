"""Shell hooks: a configured command per matching event, after the commit.

The event document goes to the command's stdin as JSON, and its id, action and task id to
`MPO_EVENT_ID`, `MPO_EVENT_ACTION`, `MPO_TASK_ID`. A hook that fails or outlives its
timeout is reported on stderr; the verb has already committed and stays done.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from typing import TYPE_CHECKING, Any

from mpo.config import env
from mpo.delivery import payload
from mpo.delivery.plugins import report

if TYPE_CHECKING:
    from mpo.config.events import Hook


#: mpo's credentials: a hook is another program, and acts with none of them (issue 21).
CREDENTIALS = (env.TOKEN,)


def run(hook: Hook, doc: dict[str, Any]) -> bool:
    """Run one hook on one event; True if it exited 0 in time."""
    env_ = {k: v for k, v in os.environ.items() if k not in CREDENTIALS} | {
        "MPO_EVENT_ID": str(doc["id"]), "MPO_EVENT_ACTION": doc["data"]["action"],
        "MPO_TASK_ID": doc["data"]["task_id"]}
    # Its own process group, so a timeout ends the command's children too.
    process = subprocess.Popen(hook.command, shell=True, text=True, env=env_,
                               stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, errors = process.communicate(json.dumps(doc), timeout=hook.timeout)
    except subprocess.TimeoutExpired as exc:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        report(f"hook {hook.command!r} on event {doc['id']}", exc)
        return False
    if process.returncode != 0:
        tail = errors.strip().splitlines()[-1:] or [""]
        report(f"hook {hook.command!r} on event {doc['id']}",
               RuntimeError(f"exit {process.returncode} {tail[0]}".rstrip()))
        return False
    return True


def run_matching(hooks: list[Hook], docs: list[dict[str, Any]]) -> None:
    """Run every hook that matches each event, in event order."""
    for doc in docs:
        for hook in hooks:
            if hook.matches(doc["data"]["action"], payload.marketplace(doc)):
                run(hook, doc)
