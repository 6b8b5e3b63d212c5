"""One test module's world: a database (SQLite, or PostgreSQL reached as an `mpo_app` login),
its principals, a config file that routes approvals and hooks every event into a file, a
plugin that validates creates and logs every event, and a real `mpo serve` over it.

Every door acts on the same database through the same config file, so what one door leaves
behind can be compared with what another leaves behind.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from mpo.core.domain.lifecycle import TransitionParams
from mpo.core.domain.permissions import Actor, Role
from mpo.core.domain.selection import Selection
from mpo.core.domain.task_fields import task_row
from mpo.core.domain.validation import Rules
from mpo.core.domain.vocabulary import Action
from mpo.core.usecases import identity
from mpo.core.usecases.create import create_tasks
from mpo.core.usecases.reads import show_task
from mpo.core.usecases.transitions import transition
from mpo.delivery import plugins
from mpo.store.database import SqlDatabase
from tests.http.conftest import Served, start, stop
from tests.migrated import upgrade
from tests.readback import events, tasks

ROOT = Actor("root", Role.ADMIN)
AGENT = Actor("marketplace-amazon", Role.AGENT, "amazon")
#: name -> (role, marketplace); root is the first admin, made by bootstrap_admin.
PRINCIPALS: dict[str, tuple[str, str | None]] = {
    "ada": ("admin", None),
    "marketplace-amazon": ("agent", "amazon"),
    "marketplace-shopee": ("agent", "shopee"),
    "marketplace-master": ("master", None),
    "bea": ("member", None),
    "bob": ("member", None),
    "bruno": ("member", None),
}
#: The round-robin pool approvals are routed to; explicit assignments go to bruno instead.
POOL = ("bea", "bob")
RULE = "doors"
#: A title the test plugin refuses, and the message it refuses it with.
REFUSED = "Forbidden by the doors plugin"
REFUSAL = "titles naming the doors plugin are refused"
#: How long a door may take to run its hooks after it answered (they may be delivered
#: from the event stream rather than before the answer).
HOOK_GRACE = 1.0

PLUGIN = f'''
import json, os
from mpo.delivery.hookspecs import hookimpl

@hookimpl
def mpo_validate_create(task):
    if "{REFUSED.lower()}" in str(task.get("title", "")).lower():
        return "{REFUSAL}"
    return None

@hookimpl
def mpo_event(event):
    log = os.environ.get("MPO_DOORS_PLUGIN_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as out:
            out.write(json.dumps(event) + "\\n")
'''


def fields(key: str, **overrides: Any) -> dict[str, Any]:
    """A create request with every field set (snake_case); `key` is its idempotency key."""
    return {"marketplace": "amazon", "title": "Rewrite GEO titles",
            "description": "Top 50 SKUs lack the brand", "category": "optimization",
            "priority": "high", "estimated_hours": 4, "created_by": "marketplace-amazon",
            "tags": ["geo", "q4"], "metadata": {"skus": 50, "source": "doors"},
            "idempotency_key": key, "due_date": "2031-05-17", "listing_id": "B0-DOORS-1",
            "source_type": "ai_generated", "plan_id": "run-7", **overrides}


def config_text(hooks_file: Path) -> str:
    """Hooks on every action, auto_assign, and one round-robin rule over POOL."""
    actions = ", ".join(f'"{a.value}"' for a in Action)
    pool = ", ".join(f'"{p}"' for p in POOL)
    return (f'[[hooks]]\non = [{actions}]\ncommand = "cat >> {hooks_file}; echo >> '
            f'{hooks_file}"\n\n[profiles.default]\nauto_assign = true\n\n'
            f'[profiles.default.teams]\nOps = [{pool}]\n\n[[profiles.default.routing]]\n'
            f'name = "{RULE}"\nassignees = [{pool}]\nstrategy = "round-robin"\n')


def install_plugin(site: Path) -> None:
    """The test plugin as an installed distribution with an `mpo.plugins` entry point."""
    site.mkdir(parents=True, exist_ok=True)
    (site / "mpo_doors_plugin.py").write_text(PLUGIN)
    info = site / "mpo_doors-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mpo-doors\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[mpo.plugins]\ndoors = mpo_doors_plugin\n")


@dataclass
class World:
    """What every door of one module acts on, and how to read back what they left."""

    kind: str
    owner_url: str
    app_url: str
    tokens: dict[str, str]
    home: Path
    served: Served | None = None
    clients: dict[str, httpx.Client] = field(default_factory=dict)
    owner: SqlDatabase = field(init=False)

    def __post_init__(self) -> None:
        self.owner = SqlDatabase(self.owner_url)

    @property
    def config(self) -> Path:
        return self.home / "config.toml"

    @property
    def hooks_file(self) -> Path:
        return self.home / "hooks.jsonl"

    @property
    def plugin_log(self) -> Path:
        return self.home / "plugin.jsonl"

    @property
    def server(self) -> Served:
        assert self.served is not None
        return self.served

    def http(self, who: str) -> httpx.Client:
        """A client acting as `who`, a new connection per request: after a 500 the server
        drops the connection, and a pooled one could meet that as a reset."""
        if who not in self.clients:
            self.clients[who] = httpx.Client(
                base_url=self.server.url, timeout=30,
                headers={"Authorization": f"Bearer {self.tokens[who]}"},
                limits=httpx.Limits(max_keepalive_connections=0))
        return self.clients[who]

    def env(self, who: str) -> dict[str, str]:
        """The environment a CLI or TUI process of `who` runs with."""
        return {"MPO_DATABASE_URL": self.app_url, "MPO_TOKEN": self.tokens[who],
                "MPO_CONFIG": str(self.config), "MPO_DOORS_PLUGIN_LOG": str(self.plugin_log)}

    # --- setting up (through the core, as the owner: not the door under test) -------

    def new_task(self, **overrides: Any) -> str:
        """A new pending task, proposed by the amazon agent, every field set."""
        draft = fields(f"setup-{uuid.uuid4()}", **overrides)
        made = create_tasks(self.owner, AGENT, [("task", draft)], Rules())
        return str(made.tasks[0].task.id)

    def move(self, task_id: str, *steps: Action, actor: Actor = ROOT) -> uuid.UUID:
        """Apply lifecycle actions without routing; the last batch id."""
        params = TransitionParams(assignee="bruno", reason_code="other",
                                  reason="same as another", actual_hours=3.0)
        batch = uuid.uuid4()
        for step in steps:
            batch = transition(self.owner, actor, step, Selection(refs=(task_id,)), params,
                               Rules()).batch_id
        return batch

    # --- reading back -----------------------------------------------------------------

    def row(self, task_id: str) -> dict[str, Any]:
        return tasks(self.owner_url)[task_id]

    def find(self, **where: Any) -> list[dict[str, Any]]:
        """Task rows whose columns equal `where`."""
        return [r for r in tasks(self.owner_url).values()
                if all(r[k] == v for k, v in where.items())]

    def events(self, task_id: str) -> list[dict[str, Any]]:
        return [e for e in events(self.owner_url) if e["task_id"] == task_id]

    def last_event_id(self) -> int:
        return max((int(e["id"]) for e in events(self.owner_url)), default=0)

    def document(self, task_id: str) -> dict[str, Any]:
        """The task as the database now holds it, as JSON (`mpo show --json`'s fields)."""
        task, _ = show_task(self.owner, ROOT, task_id)
        return dict(json.loads(json.dumps(task_row(task), default=lambda v: v.isoformat())))

    def delivered(self, task_id: str, expected: int) -> tuple[list[dict[str, Any]],
                                                              list[dict[str, Any]]]:
        """The event documents hooks and the plugin received for a task, waiting up to
        HOOK_GRACE for `expected` of each."""
        deadline = time.monotonic() + HOOK_GRACE
        while True:
            hooks = _documents(self.hooks_file, task_id)
            logged = _documents(self.plugin_log, task_id)
            if (len(hooks) >= expected and len(logged) >= expected) or (
                    time.monotonic() > deadline):
                return hooks, logged
            time.sleep(0.05)


def _documents(path: Path, task_id: str) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    found = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [d for d in found if d["data"]["task_id"] == task_id]


def _populate(url: str) -> dict[str, str]:
    upgrade(url)
    db = SqlDatabase(url)
    root = identity.bootstrap_admin(db, "root")
    assert root is not None
    tokens = {"root": root}
    for name, (role, marketplace) in PRINCIPALS.items():
        tokens[name] = identity.add_principal(db, ROOT, name, role, marketplace,
                                              Rules()).token
    db.engine.dispose()
    return tokens


@contextmanager
def plugin_on_path(site: Path) -> Iterator[None]:
    """The plugin importable by this process (the CLI and TUI doors run in it)."""
    sys.path.insert(0, str(site))
    plugins.manager.cache_clear()
    plugins.entries.cache_clear()
    try:
        yield
    finally:
        sys.path.remove(str(site))
        plugins.manager.cache_clear()
        plugins.entries.cache_clear()


@contextmanager
def world(kind: str, home: Path) -> Iterator[World]:
    """A world on `kind` (sqlite or postgres) in `home`, its server running."""
    from tests.pg_app import app_login, module_database

    site = home / "site"
    install_plugin(site)
    with ExitStack() as stack:
        if kind == "sqlite":
            owner = app = f"sqlite:///{home / 'mpo.db'}"
            tokens = _populate(owner)
        else:
            owner = stack.enter_context(module_database())
            tokens = _populate(owner)
            app = stack.enter_context(app_login(owner))
        found = World(kind, owner, app, tokens, home)
        found.config.write_text(config_text(found.hooks_file))
        stack.enter_context(plugin_on_path(site))
        found.served = start(app, owner, tokens, home, kind, MPO_CONFIG=str(found.config),
                             MPO_DOORS_PLUGIN_LOG=str(found.plugin_log),
                             PYTHONPATH=str(site))
        try:
            yield found
        finally:
            for client in found.clients.values():
                client.close()
            stop(found.server)
            found.owner.engine.dispose()
