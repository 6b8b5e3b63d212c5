"""The record of notifications sent, one row per channel and period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col

from mpo.core.tables.stream_models import NotificationSent


class SqlNotificationLog:
    """The store's implementation of `mpo.core.ports.events.NotificationLog`."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, channel: str, period: str, at: datetime) -> bool:
        if self.session.get(NotificationSent, (channel, period)) is not None:
            return False
        self.session.add(NotificationSent(channel=channel, period=period, sent_at=at))
        return True

    def release(self, channel: str, period: str) -> None:
        self.session.execute(delete(NotificationSent).where(
            col(NotificationSent.channel) == channel, col(NotificationSent.period) == period))
