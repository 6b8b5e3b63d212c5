"""Sending notifications: email through SMTP (standard library), everything else through
apprise URLs (Slack, Teams, Telegram, ...; `pip install 'mpo[notify]'`, imported only
when an apprise channel sends)."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from mpo.core.domain.errors import ConfigError

if TYPE_CHECKING:
    from mpo.config.events import Channel

TIMEOUT_S = 10.0


def email(smtp_url: str, sender: str, to: str, subject: str, body: str) -> None:
    """Send one plain-text email."""
    parts = urlsplit(smtp_url)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message.set_content(body)
    kind = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    default_port = 465 if parts.scheme == "smtps" else 25
    with kind(parts.hostname or "localhost", parts.port or default_port,
              timeout=TIMEOUT_S) as server:
        server.send_message(message)


def apprise_url(url: str, subject: str, body: str) -> None:
    """Send through one apprise URL."""
    try:
        import apprise
    except ImportError:
        raise ConfigError("apprise channels need apprise: pip install 'mpo[notify]'") from None
    sender = apprise.Apprise()
    if not sender.add(url):
        raise ConfigError(f"channels: {url!r} is not an apprise URL apprise understands")
    if not sender.notify(title=subject, body=body):
        raise RuntimeError("apprise reported the notification as not sent")


def sender(channels: Sequence[Channel], smtp_url: str, mail_from: str
           ) -> Callable[[str, str, str], None]:
    """The core's `Send`: route a channel name to its email address or apprise URL."""
    by_name = {c.name: c for c in channels}

    def send(name: str, subject: str, body: str) -> None:
        channel = by_name[name]
        if channel.kind == "email":
            email(smtp_url, mail_from, channel.target, subject, body)
        else:
            apprise_url(channel.target, subject, body)

    return send
