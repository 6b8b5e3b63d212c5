"""`mpo roles`: who may do what, printed from the one permission table in the core and the
lifecycle's declaration, and the same table in every command's --help ("Roles: ...").

An agent once had to learn its permissions from refusals (issue 11, defect 6). COMMAND_VERBS
is the one mapping from a command to the Verb it needs (a lifecycle command's comes from its
action's declaration); a command not in it says nothing (setup and local commands need no
role), and tests/cli/test_roles.py lists those.
"""

from __future__ import annotations

import click
import typer

from mpo.cli.options import output_options
from mpo.cli.output import Output
from mpo.core.domain.lifecycle import SPECS
from mpo.core.domain.permissions import PERMISSIONS, Role, Verb, actions_of
from mpo.report.fields import FieldSet

app = typer.Typer()

ROLE_ROWS = FieldSet("role", all=("role", "may", "actions"), default=("role", "may"))

#: The verb each command needs, by its path under `mpo`: a lifecycle command's is the
#: permission-table verb its action declares.
COMMAND_VERBS: dict[str, Verb] = {
    "create": Verb.CREATE,
    # (`lease_expired` is no command: claims and `mpo expire` take it)
    **{spec.action: Verb(spec.verb) for spec in SPECS if spec.action != "lease_expired"},
    "list": Verb.LIST,
    "show": Verb.SHOW,
    "log": Verb.LOG,
    "stats": Verb.STATS,
    "principal add": Verb.MANAGE,
    "principal list": Verb.MANAGE,
    "principal rotate": Verb.MANAGE,
    "principal revoke": Verb.MANAGE,
    "principal bind-cert": Verb.MANAGE,
    "principal move": Verb.MANAGE,
    "team add": Verb.MANAGE,
    "team list": Verb.LIST,
    "team members": Verb.ASSIGN,
    "undo": Verb.UNDO,
    "expire": Verb.EXPIRE,
    "archive": Verb.ARCHIVE,
    "route": Verb.ROUTE,
    "status": Verb.STATUS,
    "estimate": Verb.SHOW,
    "wait": Verb.SHOW,
    "watch": Verb.WATCH,
    "review": Verb.APPROVE,
    "dashboard": Verb.STATS,
    # export reads tasks and their history: LIST and LOG, and every role with LOG has LIST.
    "export": Verb.LOG,
    "import": Verb.IMPORT,
    "db backup": Verb.BACKUP,
    "campaign create": Verb.CAMPAIGN,
    "campaign list": Verb.LIST,
    "campaign show": Verb.LIST,
    "subtask add": Verb.PLAN,
    "subtask list": Verb.SHOW,
    "subtask start": Verb.WORK,
    "subtask fail": Verb.WORK,
    "checkpoint submit": Verb.WORK,
    "checkpoint approve": Verb.REVIEW,
    "checkpoint reject": Verb.REVIEW,
    "template add": Verb.TEMPLATE,
    "template list": Verb.TEMPLATE,
    "template show": Verb.TEMPLATE,
    "template remove": Verb.TEMPLATE,
    "template run": Verb.TEMPLATE,
    "tick": Verb.TICK,
    "webhook add": Verb.WEBHOOKS,
    "webhook list": Verb.WEBHOOKS,
    "webhook remove": Verb.WEBHOOKS,
    "webhook failures": Verb.WEBHOOKS,
    "webhook retry": Verb.WEBHOOKS,
    "deliver": Verb.WEBHOOKS,
    "notify": Verb.NOTIFY,
    "workflow show": Verb.LIST,
    "workflow apply": Verb.WORKFLOW,
}


def allowed(verb: Verb) -> list[str]:
    """The roles that may `verb`, in the Role enum's order."""
    return [role.value for role in Role if verb in PERMISSIONS[role]]


def roles_line(verb: Verb) -> str:
    """The sentence a command's help ends with."""
    return f"Roles: {', '.join(allowed(verb))} (see `mpo roles`)."


def annotate(command: click.Command, path: str) -> None:
    """Add the roles line to the help of `command` (at `path`, e.g. "principal add") and
    of every mapped command under it (once)."""
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            annotate(sub, f"{path} {name}")
    elif path in COMMAND_VERBS:
        line = roles_line(COMMAND_VERBS[path])
        if line not in (command.epilog or ""):
            command.epilog = f"{command.epilog}\n\n{line}" if command.epilog else line


@app.command(rich_help_panel="Access")
@output_options(ROLE_ROWS)
def roles(*, out: Output) -> None:
    """Show what each role may do, from the permission table mpo enforces; `actions`: the
    lifecycle actions it may take, and on which tasks.

    Example: mpo roles --fields role,actions
    """
    out.rows({"role": role.value,
              "may": ", ".join(v.value for v in Verb if v in PERMISSIONS[role]),
              "actions": ", ".join(actions_of(role, SPECS))}
             for role in Role)
