"""`mpo webhook`: the URLs that receive events (admins)."""

from __future__ import annotations

from typing import Annotated

import typer

from mpo.cli.context import current
from mpo.cli.options import output_options, split
from mpo.cli.output import Output, message
from mpo.core.domain.wellformed import ROW_ID_MAX
from mpo.report import fields

app = typer.Typer()
webhook = typer.Typer(help="Webhooks: URLs that receive signed events (admins). "
                      "Example: mpo webhook add https://example.com/hook --events approve")
app.add_typer(webhook, name="webhook", rich_help_panel="Events")


@webhook.command("add")
@output_options(fields.WEBHOOK)
def add(
    url: Annotated[str, typer.Argument(metavar="URL", help="http:// or https:// URL.")],
    events: Annotated[list[str] | None, typer.Option(
        "--events", metavar="ACTION,...",
        help="Only these actions (create, submit, approve, ...); default: all.")] = None,
    secret_from_keyring: Annotated[str | None, typer.Option(
        "--secret-from-keyring", metavar="NAME",
        help="Sign with the secret stored in the keyring under NAME (service mpo-webhook); "
        "default: mint one, store it, print it once.")] = None,
    allow_link_local: Annotated[bool, typer.Option(
        "--allow-link-local",
        help="Accept a link-local or cloud metadata address (169.254.0.0/16, fe80::/10, "
        "metadata.google.internal, ...): refused by default.")] = False,
    *,
    out: Output,
) -> None:
    """Send events committed from now on to URL, signed (Standard Webhooks).

    The URL must be http:// or https://, with a host, a valid port, no user:password@
    and no spaces or control characters.

    Example: mpo webhook add https://example.com/hook --events approve,reject
    """
    from mpo.auth import secrets
    from mpo.core.domain.webhook_rules import check_url
    from mpo.core.usecases.webhooks import Queue, add_webhook

    app_ctx = current()
    check_url(url, allow_link_local=allow_link_local)  # before a secret is minted for it
    if secret_from_keyring is not None:
        secrets.read(secret_from_keyring)  # refuse a name with nothing stored under it
        name = secret_from_keyring
    else:
        import uuid

        name = f"webhook-{uuid.uuid4().hex[:12]}"
        minted = secrets.mint()
        secrets.store(name, minted)
        message(f"signing secret (shown once; stored in the keyring as {name}): {minted}")
    hook = add_webhook(app_ctx.database, app_ctx.actor, url, split(events), name,
                       allow_link_local=allow_link_local)
    out.record(fields.webhook_row(Queue(hook)))


@webhook.command("list")
@output_options(fields.WEBHOOK)
def list_(*, out: Output) -> None:
    """List the webhooks and their queues: deliveries pending, how many of them wait for
    a retry after a failure, when the next attempt is due, and the dead letters.

    Example: mpo webhook list
    """
    from mpo.core.usecases.webhooks import list_webhooks

    app_ctx = current()
    out.rows(fields.webhook_row(q) for q in list_webhooks(app_ctx.database, app_ctx.actor))


@webhook.command("remove")
def remove(webhook_id: Annotated[int, typer.Argument(
        metavar="ID", min=1, max=ROW_ID_MAX, help="The webhook's id.")]) -> None:
    """Stop sending to a webhook and drop its queue.

    Example: mpo webhook remove 2
    """
    from mpo.core.usecases.webhooks import remove_webhook

    app_ctx = current()
    hook = remove_webhook(app_ctx.database, app_ctx.actor, webhook_id)
    message(f"removed webhook {hook.id} ({hook.url})")


@webhook.command("failures")
@output_options(fields.DELIVERY)
def failures_(
    webhook_id: Annotated[int | None, typer.Option(
        "--webhook", metavar="ID", min=1, max=ROW_ID_MAX, help="Only this webhook's.")] = None,
    *,
    out: Output,
) -> None:
    """List dead-lettered deliveries (failed through the retry plan, or unsendable);
    `retry` sends them again.

    Example: mpo webhook failures --json
    """
    from mpo.core.usecases.webhooks import failures

    app_ctx = current()
    out.rows(fields.delivery_row(d)
             for d in failures(app_ctx.database, app_ctx.actor, webhook_id))


@webhook.command("retry")
def retry_(
    ids: Annotated[list[int] | None, typer.Argument(
        metavar="[DELIVERY_ID]...", min=1, max=ROW_ID_MAX,
        help="Dead deliveries to queue again; default: all.")
    ] = None,
) -> None:
    """Queue dead-lettered deliveries again; the next `mpo deliver` sends them, in order.

    Example: mpo webhook retry
    """
    from mpo.core.usecases.webhooks import retry

    app_ctx = current()
    count = retry(app_ctx.database, app_ctx.actor, ids or ())
    message(f"queued {count} deliver{'y' if count == 1 else 'ies'} again")


@app.command(rich_help_panel="Events")
def deliver(
    max_time: Annotated[float, typer.Option(
        "--max-time", metavar="SECONDS", min=0,
        help="Exit within this many seconds, whatever the receivers do (each request "
        "gets at most the time left, and 10 s); what is left stays queued.")] = 55.0,
) -> None:
    """Send queued and new events to the webhooks, with retries (run it from cron).

    Example: mpo deliver --max-time 55
    """
    from mpo.auth import secrets
    from mpo.core.usecases.deliver import deliver as run
    from mpo.delivery.webhooks import sender

    app_ctx = current()
    result = run(app_ctx.database, app_ctx.actor, sender(secrets.read), max_time=max_time)
    message(f"queued {result.queued}, delivered {result.delivered}, "
            f"will retry {result.failed}, dead {result.dead}")
